/**
 * Drafts from learned profiles: one per workload container, deny-all egress for a workload that made
 * none, L7 HTTP rules from OTel HTTP spans, strictness by profile class, and the enforcing version.
 * Compared whole with golden files (see golden.ts), every document valid against schemas/k8s.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readDrafts } from '../../../src/profiles/draftDocument.ts';
import { graduateDraft } from '../../../src/profiles/graduate.ts';
import { importKubescape } from '../../../src/profiles/kubescape.ts';
import { exportPolicies, policyFor } from '../../../src/profiles/policy.ts';
import { emptyProfile, observe, type Profile } from '../../../src/profiles/profile.ts';
import { classOf, type ProfileClass } from '../../../src/profiles/profileClass.ts';
import { profilesFromRows } from '../../../src/profiles/profileRows.ts';
import { feed, finish, newRun } from '../../helpers/pipeline.ts';
import { BASE, scenario } from './enforceScenario.ts';
import { GOLDEN, golden, validDocuments } from './golden.ts';

type Doc = {
  metadata: { name: string; labels?: Record<string, string>; annotations: Record<string, string> };
  spec: Record<string, unknown> & { egress?: Record<string, unknown>[] };
};

const FIXTURES = new URL('../../fixtures/profiles/', import.meta.url).pathname;
const AGENTS: Record<string, ProfileClass> = {
  'agents/travel-agent': 'autonomous-agent',
  'agents/*-tools': 'mcp-server',
};

function profile(name: string, build: (p: Profile) => void = () => {}): Profile {
  const p = emptyProfile(
    { cluster: 'aks-demo', namespace: 'agents', workloadKind: 'Deployment', workloadName: name, container: 'main' },
    'complete',
    'learned',
  );
  p.coverage = { events: 500, processes: 3, firstEvent: BASE, lastEvent: BASE + 590_000 };
  build(p);
  return p;
}

describe('drafts for every workload', () => {
  let learned: Profile[];
  beforeAll(async () => {
    const run = await finish(await feed(newRun(), scenario()));
    learned = profilesFromRows(run.sink.rows('CausewayProfiles_CL'));
  });

  it('drafts a NetworkPolicy for every workload container of an hour of traffic, after a summary', () => {
    const { text, outcomes } = exportPolicies(learned, 'networkpolicy', { classes: AGENTS, sources: ['the hour'] });
    expect(outcomes.map((o) => `${o.profile.identity.workloadName}:${o.profile.identity.container}`)).toEqual([
      'kb-tools:mcp',
      'support-agent:',
      'travel-agent:',
      'redis:redis',
      'checkout:checkout',
      'frontend:frontend',
    ]);
    expect(outcomes.every((o) => o.doc)).toBe(true);
    expect(text.split('\n')[0]).toBe('# Causeway draft NetworkPolicy policies, audit mode, from the hour');
    expect(text).toMatch(/^# 6 workload containers: 6 drafted \(1 deny-all egress\), 0 not drafted$/m);
    expect(text).toMatch(/^# agents\/Deployment\/travel-agent:\(pod\): autonomous-agent \(config\); 2 destinations;/m);
    expect(text).toMatch(/^# cache\/StatefulSet\/redis:redis: service \(inferred\); deny-all egress;/m);
    const docs = validDocuments(text) as Doc[];
    expect(docs).toHaveLength(6);
    // The cache made no egress and resolved no names: deny all, not even DNS.
    expect(docs.find((d) => d.metadata.name === 'causeway-draft-redis-redis-egress')!.spec.egress).toEqual([]);
    // The support agent calls its MCP server, a cluster service, by name: a selector, not an address;
    // and its model endpoint, which a NetworkPolicy cannot name (the CiliumNetworkPolicy can).
    const support = docs.find((d) => d.metadata.name === 'causeway-draft-support-agent-egress')!;
    expect(support.metadata.annotations['causeway.io/not-expressible']).toMatch(
      /contoso-openai\.openai\.azure\.com:443\/TCP is known only by name/,
    );
    expect(support.spec.egress!.slice(0, 1)).toEqual([
      {
        to: [
          {
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'kb-tools' } },
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'agents' } },
          },
        ],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
    ]);
    golden('hour.networkpolicy.yaml', text);
  });

  it('gives a workload that made no egress a deny-all egress policy, with kube-dns only when it resolved names', () => {
    const silent = profile('batch');
    const np = policyFor(silent, 'networkpolicy') as Doc;
    expect(np.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'batch' } },
      policyTypes: ['Egress'],
      egress: [],
    });
    // Cilium: an empty egress list would not apply at egress; one empty rule denies everything.
    expect((policyFor(silent, 'ciliumnetworkpolicy') as Doc).spec.egress).toEqual([{}]);

    const resolver = profile('resolver', (p) => observe(p, { dnsName: 'login.microsoftonline.com' }));
    expect((policyFor(resolver, 'networkpolicy') as Doc).spec.egress).toEqual([
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
    ]);
    const cnp = policyFor(resolver, 'ciliumnetworkpolicy') as Doc;
    expect(cnp.spec.egress).toEqual([
      {
        toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
        toPorts: [
          { ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchName: 'login.microsoftonline.com' }] } },
        ],
      },
    ]);
    validDocuments(stringify(np));
    validDocuments(stringify(cnp));
  });

  it('allows exactly the methods and path patterns HTTP spans showed, on those hosts (toFQDNs + rules.http)', () => {
    const travel = learned.find((p) => p.identity.workloadName === 'travel-agent')!;
    const { text } = exportPolicies([travel], 'ciliumnetworkpolicy', { classes: AGENTS, sources: ['the hour'] });
    const [doc] = validDocuments(text) as Doc[];
    const allowed = doc!.spec.egress!.flatMap((r) =>
      ((r.toFQDNs as { matchName: string }[] | undefined) ?? []).flatMap((f) =>
        (r.toPorts as { ports: { port: string }[]; rules?: { http?: { method: string; path: string }[] } }[]).flatMap(
          (tp) => (tp.rules?.http ?? []).map((h) => `${h.method} ${f.matchName}:${tp.ports[0]!.port}${h.path}`),
        ),
      ),
    );
    expect(allowed).toEqual([
      'GET api.weather.example:443/v1/forecast/[^/?]+(\\?.*)?',
      'POST contoso-openai.openai.azure.com:443/openai/deployments/gpt-4o/chat/completions(\\?.*)?',
    ]);
    expect(doc!.metadata.annotations['causeway.io/l7-tls']).toMatch(/TLS inspection/);
    golden('travel-agent.ciliumnetworkpolicy.yaml', text);
  });
});

describe('strictness by profile class', () => {
  it('takes the class from the configuration (most specific pattern first), then the pod label, then infers it', () => {
    const p = profile('travel-agent');
    expect(classOf(p, { 'agents/*': 'service', 'agents/travel-*': 'chat-agent' })).toEqual({
      profileClass: 'chat-agent',
      from: 'config',
    });
    p.podLabels = { app: 'travel-agent', 'causeway.io/profile-class': 'mcp-server' };
    expect(classOf(p)).toEqual({ profileClass: 'mcp-server', from: 'label' });
    expect(classOf(profile('x', (q) => observe(q, { tool: 'search' })))).toEqual({
      profileClass: 'autonomous-agent',
      from: 'inferred',
    });
    expect(classOf(profile('y'))).toEqual({ profileClass: 'service', from: 'inferred' });
  });

  it('refuses wildcard egress for agents and says so; a service keeps it', () => {
    const wide = (name: string) =>
      profile(name, (p) => {
        observe(p, { egress: { ip: '*', port: 443, protocol: 'TCP', dns: [] } });
        observe(p, { egress: { ip: '', port: 443, protocol: 'TCP', dns: ['*.blob.core.windows.net'] } });
        observe(p, { egress: { ip: '10.0.12.4', port: 5432, protocol: 'TCP', dns: [] } });
      });
    const classes: Record<string, ProfileClass> = { 'agents/agent': 'autonomous-agent', 'agents/svc': 'service' };
    const agent = policyFor(wide('agent'), 'ciliumnetworkpolicy', classes) as Doc;
    expect(agent.spec.egress).toEqual([
      { toCIDR: ['10.0.12.4/32'], toPorts: [{ ports: [{ port: '5432', protocol: 'TCP' }] }] },
    ]);
    expect(agent.metadata.annotations['causeway.io/refused']).toBe(
      'wildcard egress any:443/TCP (autonomous-agent); wildcard egress *.blob.core.windows.net:443/TCP (autonomous-agent)',
    );
    const svc = policyFor(wide('svc'), 'ciliumnetworkpolicy', classes) as Doc;
    expect(JSON.stringify(svc.spec.egress)).toContain('"toEntities":["world"]');
    expect(JSON.stringify(svc.spec.egress)).toContain('"matchPattern":"*.blob.core.windows.net"');
    validDocuments(stringify(agent));
    validDocuments(stringify(svc));
  });

  it('leaves shells and high-risk syscalls out of an autonomous agent’s seccomp draft, and a chat agent runs no tools', () => {
    const [research] = importKubescape(readFileSync(FIXTURES + 'ap-research-agent.yaml', 'utf8'), 'ap', 'aks-demo');
    const auto = exportPolicies([research!], 'seccomp', { classes: { 'agents/research-agent': 'autonomous-agent' } });
    const [doc] = validDocuments(auto.text) as (Doc & { spec: { syscalls: { names: string[] }[] } })[];
    expect(doc!.spec.syscalls[0]!.names).not.toContain('ptrace');
    expect(doc!.spec.syscalls[0]!.names).not.toContain('unshare');
    expect(doc!.spec.syscalls[0]!.names).toContain('execve');
    expect(doc!.metadata.annotations['causeway.io/allowed-executables']).toBe('/usr/bin/git,/usr/local/bin/python3');
    expect(doc!.metadata.annotations['causeway.io/refused']).toBe(
      'syscalls ptrace, unshare (autonomous-agent); executables /bin/sh (autonomous-agent)',
    );
    golden('research-agent.seccomp.yaml', auto.text);

    const chat = policyFor(research!, 'seccomp', { 'agents/research-agent': 'chat-agent' }) as Doc;
    // Imported profiles do not say which process is the workload's own: nothing is allowed to run.
    expect(chat.metadata.annotations['causeway.io/allowed-executables']).toBe('');
    const learnedChat = profile('chat', (p) => {
      observe(p, { executable: '/usr/local/bin/node', entrypoint: '/usr/local/bin/node', syscall: 'read' });
      observe(p, { executable: '/usr/bin/curl', syscall: 'connect' });
    });
    const allowed = policyFor(learnedChat, 'seccomp', { 'agents/chat': 'chat-agent' }) as Doc;
    expect(allowed.metadata.annotations['causeway.io/allowed-executables']).toBe('/usr/local/bin/node');
  });
});

describe('graduation', () => {
  it('writes the enforcing version: no draft or audit markers, SCMP_ACT_ERRNO, and what it was checked against', () => {
    const evidence = { window: { first: BASE, last: BASE + 8 * 86_400_000 }, flows: 42, records: 120_000 };
    for (const name of [
      'travel-agent.ciliumnetworkpolicy.yaml',
      'research-agent.seccomp.yaml',
      'hour.networkpolicy.yaml',
    ]) {
      const drafts = readDrafts(readFileSync(GOLDEN + name, 'utf8'), name);
      const text = drafts
        .map((d) => stringify(graduateDraft(d, evidence), { lineWidth: 0, sortMapEntries: false }))
        .join('---\n');
      for (const doc of validDocuments(text) as Doc[]) {
        expect(doc.metadata.labels?.['causeway.io/draft']).toBeUndefined();
        expect(doc.metadata.annotations['causeway.io/mode']).toBeUndefined();
        expect(doc.metadata.annotations['causeway.io/audit']).toBeUndefined();
        expect(doc.metadata.annotations['causeway.io/graduated']).toBe(
          'checked clean against 42 distinct flows from 120000 observations, 2026-11-20T10:00:00.000Z to 2026-11-28T10:00:00.000Z (8 d)',
        );
        if (name.includes('seccomp')) expect(doc.spec.defaultAction).toBe('SCMP_ACT_ERRNO');
      }
      golden(`graduated.${name}`, text);
    }
  });
});

describe('golden files', () => {
  it('are all valid against the schema of their kind', () => {
    for (const f of readdirSync(GOLDEN).filter((x) => x.endsWith('.yaml')))
      expect(validDocuments(readFileSync(GOLDEN + f, 'utf8')).length, f).toBeGreaterThan(0);
  });

  it('keep sensor values on one comment line in the summary', () => {
    const p = profile('odd', (q) =>
      observe(q, { egress: { ip: '203.0.113.9', port: 443, protocol: 'TCP', dns: ['evil.example\nkind: Secret'] } }),
    );
    const { text } = exportPolicies([p], 'networkpolicy');
    const summary = text.slice(0, text.indexOf('apiVersion:'));
    expect(
      summary
        .split('\n')
        .filter(Boolean)
        .every((l) => l.startsWith('#')),
    ).toBe(true);
    expect(text).not.toMatch(/^kind: Secret/m);
  });
});
