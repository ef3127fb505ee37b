/**
 * Profiles: path patterns with Kubescape's ⋯, Kubescape ApplicationProfile / NetworkNeighborhood
 * import (our fixtures in test/fixtures/kubescape-profiles/, written in the storage API's format),
 * and draft policies compared whole with golden files. A missing golden file fails; regenerate after
 * an intended change with `UPDATE_GOLDEN=1 npm test -- test/unit/profiles` and review the diff.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { main } from '../../../src/cli/main.ts';
import { importKubescape, ProfileImportError } from '../../../src/profiles/kubescape.ts';
import { KUBE_DNS_PEER } from '../../../src/profiles/networkPolicyDraft.ts';
import { exportPolicies, PolicyExportError, policyFor, type PolicyFormat } from '../../../src/profiles/policy.ts';
import {
  collapsePath,
  egressCovered,
  emptyProfile,
  observe,
  pathCovered,
  type Profile,
} from '../../../src/profiles/profile.ts';
import { fixturePath } from '../../helpers/fixtures.ts';
import { expectGoldenText } from '../../helpers/golden.ts';
import { validDocuments } from './golden.ts';

const KS = fixturePath('kubescape-profiles/');
const GOLDEN = new URL('./golden/', import.meta.url).pathname;
const read = (f: string) => readFileSync(KS + f, 'utf8');

function golden(name: string, text: string): void {
  expectGoldenText(`${GOLDEN}${name}`, text);
}

/** The api container of payments-api: its ApplicationProfile and its NetworkNeighborhood. */
function paymentsApi(): Profile[] {
  const ap = importKubescape(read('ap-payments-api.yaml'), 'ap', 'aks-demo').find(
    (p) => p.identity.container === 'api',
  );
  const [nn] = importKubescape(read('nn-payments-api.yaml'), 'nn', 'aks-demo');
  expect(ap!.id).toBe(nn!.id);
  return [ap!, nn!];
}

describe('path patterns', () => {
  it('collapses dynamic segments to ⋯ and matches them one segment at a time', () => {
    expect(collapsePath('/proc/4242/fd/7')).toBe('/proc/⋯/fd/⋯');
    expect(collapsePath('/tmp/3f2a9c1e-77aa-4b1c-9d2e-0a1b2c3d4e5f/out.json')).toBe('/tmp/⋯/out.json');
    expect(collapsePath('/var/cache/app/sess-20261120103000.tmp')).toBe('/var/cache/app/⋯');
    expect(collapsePath('/etc/resolv.conf')).toBe('/etc/resolv.conf');
    expect(pathCovered('/proc/⋯/fd', '/proc/17/fd')).toBe(true);
    expect(pathCovered('/proc/⋯/fd', '/proc/self/maps')).toBe(false);
    expect(pathCovered('/opt/java/openjdk/lib', '/opt/java/openjdk/lib/modules')).toBe(true);
    expect(pathCovered('/etc/passwd', '/etc/shadow')).toBe(false);
    expect(pathCovered('/usr/lib/⋯.so', '/usr/lib/libssl.so')).toBe(true);
  });

  it('matches egress by IP, CIDR, port and DNS name', () => {
    const p = emptyProfile(
      { cluster: 'c', namespace: 'n', workloadKind: 'Deployment', workloadName: 'w', container: 'x' },
      'learning',
      'learned',
    );
    observe(p, { egress: { ip: '10.0.0.0/8', port: 5432, protocol: 'TCP', dns: [] } });
    observe(p, { egress: { ip: '35.186.253.219', port: 443, protocol: 'TCP', dns: ['version-check.ks-services.co'] } });
    expect(egressCovered(p, { ip: '10.2.3.4', port: 5432 })).toBe(true);
    expect(egressCovered(p, { ip: '10.2.3.4', port: 22 })).toBe(false);
    expect(egressCovered(p, { ip: '35.186.253.220', port: 443, dns: 'version-check.ks-services.co.' })).toBe(true);
    expect(egressCovered(p, { ip: '203.0.113.50', port: 443 })).toBe(false);
  });
});

describe('Kubescape import', () => {
  it('reads an ApplicationProfile: execs, opens (⋯ kept), syscalls, for the workload its labels name', () => {
    const [ap] = paymentsApi();
    expect(ap!.identity).toEqual({
      cluster: 'aks-demo',
      namespace: 'payments',
      workloadKind: 'Deployment',
      workloadName: 'payments-api',
      container: 'api',
    });
    expect(ap!.status).toBe('imported');
    expect(ap!.executables).toEqual(['/usr/bin/wget', '/usr/local/bin/node']);
    expect(ap!.filePaths).toEqual(expect.arrayContaining(['/app/node_modules/⋯', '/proc/⋯/stat', '/etc/resolv.conf']));
    expect(ap!.syscalls).toHaveLength(30);
    expect(ap!.syscalls).toEqual(expect.arrayContaining(['execve', 'connect', 'openat']));
    expect(ap!.source).toEqual(['kubescape ApplicationProfile payments/replicaset-payments-api-6f8d9c7b5d']);
  });

  it('gives init containers a profile of their own', () => {
    const migrate = importKubescape(read('ap-payments-api.yaml'), 'ap', 'aks-demo').find(
      (p) => p.identity.container === 'migrate',
    );
    expect(migrate!.executables).toEqual(['/usr/local/bin/node']);
    expect(migrate!.syscalls).toEqual(['connect', 'execve', 'openat', 'read', 'write']);
  });

  it('names the workload kind as the sensors do, whatever case the Kubescape label has', () => {
    const text = read('ap-payments-api.yaml').replace(
      /kubescape\.io\/workload-kind: \S+/,
      'kubescape.io/workload-kind: statefulset',
    );
    expect(text).toContain('workload-kind: statefulset');
    for (const p of importKubescape(text, 'ap', 'aks-demo')) expect(p.identity.workloadKind).toBe('StatefulSet');
  });

  it('reads NetworkNeighborhoods: selectors, IPs and CIDRs, DNS names without the trailing dot, one entry per port', () => {
    const [, nn] = paymentsApi();
    expect(nn!.podLabels).toEqual({ app: 'payments-api' });
    expect(nn!.egress).toEqual([
      {
        ip: '',
        port: 53,
        protocol: 'UDP',
        dns: [],
        podSelector: { 'k8s-app': 'kube-dns' },
        namespaceSelector: { 'kubernetes.io/metadata.name': 'kube-system' },
      },
      { ip: '', port: 5432, protocol: 'TCP', dns: [], podSelector: { app: 'payments-db' } },
      { ip: '203.0.113.80', port: 443, protocol: 'TCP', dns: ['api.fixture-psp.example'] },
      { ip: '198.51.100.0/24', port: 8443, protocol: 'TCP', dns: [] },
    ]);
    const [collector] = importKubescape(read('nn-otel-collector.json'), 'nn-otel-collector.json', 'aks-demo');
    expect(collector!.identity).toMatchObject({ namespace: 'observability', workloadName: 'otel-collector' });
    // `dns` (deprecated) and `dnsNames` name the same host once.
    expect(collector!.egress).toContainEqual({
      ip: '203.0.113.120',
      port: 443,
      protocol: 'TCP',
      dns: ['ingest.fixture-monitor.example'],
    });
    const [cache] = importKubescape(read('nn-cache-lowercase-kind.yaml'), 'nn-cache-lowercase-kind.yaml', 'aks-demo');
    expect(cache!.identity).toMatchObject({
      namespace: 'shop',
      workloadKind: 'Deployment',
      workloadName: 'session-cache',
    });
    expect(cache!.egress).toEqual([
      { ip: '198.51.100.31', port: 6380, protocol: 'TCP', dns: ['cache-upstream.fixture-shop.example'] },
    ]);
  });

  it('reads a kubectl List, and its profile is the same workload container as the NetworkNeighborhood', () => {
    const [ap] = importKubescape(read('ap-otel-collector-list.json'), 'ap-otel-collector-list.json', 'aks-demo');
    const [nn] = importKubescape(read('nn-otel-collector.json'), 'nn-otel-collector.json', 'aks-demo');
    expect(ap!.executables).toEqual(['/otelcol-contrib']);
    expect(ap!.syscalls).toHaveLength(9);
    expect(ap!.id).toBe(nn!.id);
  });

  it('refuses files that are not Kubescape profiles, naming the file and what it found', () => {
    expect(() => importKubescape(read('rules-not-a-profile.yaml'), 'rules-not-a-profile.yaml', 'c')).toThrow(
      /rules-not-a-profile.yaml: Rules \(kubescape.io\/v1\) is not a Kubescape ApplicationProfile or NetworkNeighborhood/,
    );
    expect(() => importKubescape('kind: [', 'broken.yaml', 'c')).toThrow(ProfileImportError);
    expect(() =>
      importKubescape(
        '{"apiVersion":"spdx.softwarecomposition.kubescape.io/v1beta1","kind":"NetworkNeighborhood","metadata":{}}',
        'x.json',
        'c',
      ),
    ).toThrow(/lacks the kubescape.io\/workload-namespace/);
  });
});

describe('draft policies', () => {
  const cases: [string, () => Profile[], PolicyFormat][] = [
    ['otel-collector.networkpolicy.yaml', () => collector(), 'networkpolicy'],
    ['otel-collector.ciliumnetworkpolicy.yaml', () => collector(), 'ciliumnetworkpolicy'],
    ['payments-api.networkpolicy.yaml', () => [merged()], 'networkpolicy'],
    ['payments-api.seccomp.yaml', () => [merged()], 'seccomp'],
  ];

  function collector(): Profile[] {
    return importKubescape(read('nn-otel-collector.json'), 'nn-otel-collector.json', 'aks-demo');
  }

  function merged(): Profile {
    const [ap, nn] = paymentsApi();
    return { ...ap!, source: [...ap!.source, ...nn!.source], egress: nn!.egress, podLabels: nn!.podLabels };
  }

  it.each(cases)(
    '%s: valid YAML with the right apiVersion/kind, marked as an audit draft, equal to the golden file',
    (file, profiles, format) => {
      const text = exportPolicies(profiles(), format).text;
      const docs = parseAllDocuments(text).map(
        (d) =>
          d.toJS() as {
            apiVersion: string;
            kind: string;
            metadata: { annotations: Record<string, string>; labels: Record<string, string> };
          },
      );
      const [apiVersion, kind] = {
        networkpolicy: ['networking.k8s.io/v1', 'NetworkPolicy'],
        ciliumnetworkpolicy: ['cilium.io/v2', 'CiliumNetworkPolicy'],
        seccomp: ['security-profiles-operator.x-k8s.io/v1beta1', 'SeccompProfile'],
      }[format];
      for (const d of docs) {
        expect(d).toMatchObject({ apiVersion, kind });
        expect(d.metadata.labels['causeway.io/draft']).toBe('true');
        expect(d.metadata.annotations['causeway.io/mode']).toBe('audit');
        expect(d.metadata.annotations['causeway.io/evidence']).toMatch(/kubescape/);
      }
      validDocuments(text);
      golden(file, text);
    },
  );

  it('a NetworkPolicy allows exactly the observed destinations and ports, nothing more', () => {
    const [op] = collector();
    const policy = parse(exportPolicies([op!], 'networkpolicy').text) as {
      spec: { egress: { to: Record<string, unknown>[]; ports?: { port: number; protocol: string }[] }[] };
    };
    const allowed = new Set(
      policy.spec.egress.flatMap((r) =>
        r.to.flatMap((peer) =>
          (r.ports ?? [{ port: undefined, protocol: 'any' }]).map(
            (p) => `${JSON.stringify(peer)} ${p.protocol}/${p.port}`,
          ),
        ),
      ),
    );
    const kubeDns = JSON.stringify(KUBE_DNS_PEER);
    const resolvedNames = op!.egress.some((e) => e.dns.length > 0);
    const observed = new Set([
      ...op!.egress
        .filter((e) => e.podSelector?.['k8s-app'] !== 'kube-dns')
        .map(
          (e) =>
            `${JSON.stringify(e.ip ? { ipBlock: { cidr: `${e.ip}/32` } } : { ...(e.podSelector ? { podSelector: { matchLabels: e.podSelector } } : {}), ...(e.namespaceSelector ? { namespaceSelector: { matchLabels: e.namespaceSelector } } : {}) })} ${e.protocol}/${e.port}`,
        ),
      // It resolved names, so DNS to kube-dns is allowed, over both protocols.
      ...(resolvedNames ? [`${kubeDns} UDP/53`, `${kubeDns} TCP/53`] : []),
    ]);
    expect(allowed).toEqual(observed);
  });

  it('a CiliumNetworkPolicy names DNS destinations with toFQDNs and allows exactly those lookups', () => {
    const [op] = collector();
    const policy = policyFor(op!, 'ciliumnetworkpolicy') as { spec: { egress: Record<string, unknown>[] } };
    const fqdns = policy.spec.egress.flatMap((r) =>
      ((r.toFQDNs as { matchName: string }[] | undefined) ?? []).map((f) => f.matchName),
    );
    expect(new Set(fqdns)).toEqual(new Set(op!.egress.flatMap((e) => e.dns)));
    const dnsRule = policy.spec.egress.at(-1) as { toPorts: { rules: { dns: { matchName: string }[] } }[] };
    expect(dnsRule.toPorts[0]!.rules.dns.map((d) => d.matchName).sort()).toEqual([...new Set(fqdns)].sort());
  });

  it('refuses a seccomp draft without syscalls, saying why', () => {
    const [, nn] = paymentsApi();
    expect(() => policyFor(nn!, 'seccomp')).toThrow(PolicyExportError);
    expect(() => policyFor(nn!, 'seccomp')).toThrow(/do not report them/);
  });

  it('causeway profile export writes the drafts for the chosen workload, and exits 2 with the reason otherwise', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cw-profile-')), 'policy.yaml');
    let stdout = '';
    let stderr = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((stdout += String(c)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((stderr += String(c)), true));
    try {
      expect(
        await main(
          [
            'profile',
            'export',
            '--format',
            'ciliumnetworkpolicy',
            '--from',
            KS + 'nn-otel-collector.json',
            '--from',
            KS + 'nn-payments-api.yaml',
            '--workload',
            'payments/payments-api',
            '--out',
            out,
          ],
          {},
        ),
      ).toBe(0);
      expect(stdout).toMatch(/Wrote 1 draft ciliumnetworkpolicy policy \(audit\)/);
      expect(parse(readFileSync(out, 'utf8'))).toMatchObject({
        kind: 'CiliumNetworkPolicy',
        metadata: { namespace: 'payments' },
      });
      expect(
        await main(['profile', 'export', '--format', 'iptables', '--from', KS + 'nn-otel-collector.json'], {}),
      ).toBe(2);
      expect(
        await main(['profile', 'export', '--format', 'seccomp', '--from', KS + 'nn-otel-collector.json'], {}),
      ).toBe(2);
      expect(
        await main(
          [
            'profile',
            'export',
            '--format',
            'networkpolicy',
            '--from',
            KS + 'nn-otel-collector.json',
            '--workload',
            'nope',
          ],
          {},
        ),
      ).toBe(2);
      expect(stderr).toMatch(/--format must be one of networkpolicy, ciliumnetworkpolicy, seccomp/);
      expect(stderr).toMatch(/has no syscalls/);
      expect(stderr).toMatch(
        /no profile matches --workload nope .* \(found: observability\/otel-collector:collector\)/,
      );
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  });
});
