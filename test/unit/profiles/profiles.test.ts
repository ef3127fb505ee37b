/**
 * Profiles: path patterns with Kubescape's ⋯, Kubescape ApplicationProfile / NetworkNeighborhood
 * import (the real samples), and draft policies compared whole with golden files. Regenerate after
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
import { SAMPLES } from '../../helpers/pipeline.ts';
import { golden, validDocuments } from './golden.ts';

const KS = SAMPLES + 'kubescape/';
const read = (f: string) => readFileSync(KS + f, 'utf8');

function chainBackend(): Profile[] {
  const [ap] = importKubescape(read('ap-chain-backend.yaml'), 'ap', 'aks-demo');
  const [nn] = importKubescape(read('nn-chain-backend.yaml'), 'nn', 'aks-demo');
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
    const [ap] = chainBackend();
    expect(ap!.identity).toEqual({
      cluster: 'aks-demo',
      namespace: 'log4j-poc',
      workloadKind: 'Deployment',
      workloadName: 'chain-backend',
      container: 'backend',
    });
    expect(ap!.status).toBe('imported');
    expect(ap!.executables).toContain('/opt/java/openjdk/bin/java');
    expect(ap!.executables).not.toContain('/bin/sh');
    expect(ap!.filePaths).toContain('/opt/java/openjdk/conf/jndi.properties');
    expect(ap!.syscalls).toHaveLength(52);
    expect(ap!.syscalls).toEqual(expect.arrayContaining(['execve', 'connect', 'openat']));
    expect(ap!.source).toEqual(['kubescape ApplicationProfile log4j-poc/chain-backend']);
  });

  it('reads NetworkNeighborhoods: selectors, IPs, DNS names without the trailing dot, ports', () => {
    const [, nn] = chainBackend();
    expect(nn!.podLabels).toEqual({ app: 'chain-backend' });
    expect(nn!.egress).toContainEqual({
      ip: '',
      port: 5432,
      protocol: 'TCP',
      dns: [],
      podSelector: { app: 'chain-postgres' },
    });
    const [op] = importKubescape(read('nn-operator.json'), 'nn-operator.json', 'aks-demo');
    expect(op!.identity.workloadName).toBe('operator');
    expect(op!.egress).toContainEqual({
      ip: '35.186.253.219',
      port: 443,
      protocol: 'TCP',
      dns: ['version-check.ks-services.co'],
    });
    const [example] = importKubescape(read('01-example.yaml'), '01-example.yaml', 'aks-demo');
    expect(example!.identity.workloadKind).toBe('Deployment');
    expect(example!.egress).toEqual([{ ip: '123.5.2.3', port: 5978, protocol: 'TCP', dns: ['stripe.com'] }]);
  });

  it('refuses files that are not Kubescape profiles, naming the file and what it found', () => {
    expect(() => importKubescape(read('default-rules.yaml'), 'default-rules.yaml', 'c')).toThrow(
      /default-rules.yaml: Rules \(kubescape.io\/v1\) is not a Kubescape ApplicationProfile or NetworkNeighborhood/,
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
    [
      'operator.networkpolicy.yaml',
      () => importKubescape(read('nn-operator.json'), 'nn-operator.json', 'aks-demo'),
      'networkpolicy',
    ],
    [
      'operator.ciliumnetworkpolicy.yaml',
      () => importKubescape(read('nn-operator.json'), 'nn-operator.json', 'aks-demo'),
      'ciliumnetworkpolicy',
    ],
    ['chain-backend.networkpolicy.yaml', () => [merged()], 'networkpolicy'],
    ['chain-backend.seccomp.yaml', () => [merged()], 'seccomp'],
  ];

  function merged(): Profile {
    const [ap, nn] = chainBackend();
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
      validDocuments(text);
      for (const d of docs) {
        expect(d).toMatchObject({ apiVersion, kind });
        expect(d.metadata.labels['causeway.io/draft']).toBe('true');
        expect(d.metadata.annotations['causeway.io/mode']).toBe('audit');
        expect(d.metadata.annotations['causeway.io/evidence']).toMatch(/kubescape/);
      }
      golden(file, text);
    },
  );

  it('a NetworkPolicy allows exactly the observed destinations and ports, nothing more', () => {
    const [op] = importKubescape(read('nn-operator.json'), 'nn-operator.json', 'aks-demo');
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
    const observed = new Set([
      ...op!.egress
        .filter((e) => e.podSelector?.['k8s-app'] !== 'kube-dns')
        .map(
          (e) =>
            `${JSON.stringify(e.ip ? { ipBlock: { cidr: `${e.ip}/32` } } : { ...(e.podSelector ? { podSelector: { matchLabels: e.podSelector } } : {}), ...(e.namespaceSelector ? { namespaceSelector: { matchLabels: e.namespaceSelector } } : {}) })} ${e.protocol}/${e.port}`,
        ),
      // It resolved names, so DNS to kube-dns is allowed, over both protocols.
      `${kubeDns} UDP/53`,
      `${kubeDns} TCP/53`,
    ]);
    expect(allowed).toEqual(observed);
  });

  it('a CiliumNetworkPolicy names DNS destinations with toFQDNs and allows exactly those lookups', () => {
    const [op] = importKubescape(read('nn-operator.json'), 'nn-operator.json', 'aks-demo');
    const policy = policyFor(op!, 'ciliumnetworkpolicy') as { spec: { egress: Record<string, unknown>[] } };
    const fqdns = policy.spec.egress.flatMap((r) =>
      ((r.toFQDNs as { matchName: string }[] | undefined) ?? []).map((f) => f.matchName),
    );
    expect(new Set(fqdns)).toEqual(new Set(op!.egress.flatMap((e) => e.dns)));
    const dnsRule = policy.spec.egress.at(-1) as { toPorts: { rules: { dns: { matchName: string }[] } }[] };
    expect(dnsRule.toPorts[0]!.rules.dns.map((d) => d.matchName).sort()).toEqual([...new Set(fqdns)].sort());
  });

  it('refuses a seccomp draft without syscalls, saying why', () => {
    const [, nn] = chainBackend();
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
            KS + 'nn-operator.json',
            '--from',
            KS + 'nn-chain-backend.yaml',
            '--workload',
            'log4j-poc/chain-backend',
            '--out',
            out,
          ],
          {},
        ),
      ).toBe(0);
      expect(stdout).toMatch(/Wrote 1 draft ciliumnetworkpolicy policy \(audit\)/);
      expect(parse(readFileSync(out, 'utf8'))).toMatchObject({
        kind: 'CiliumNetworkPolicy',
        metadata: { namespace: 'log4j-poc' },
      });
      expect(await main(['profile', 'export', '--format', 'iptables', '--from', KS + 'nn-operator.json'], {})).toBe(2);
      expect(await main(['profile', 'export', '--format', 'seccomp', '--from', KS + 'nn-operator.json'], {})).toBe(2);
      expect(
        await main(
          ['profile', 'export', '--format', 'networkpolicy', '--from', KS + 'nn-operator.json', '--workload', 'nope'],
          {},
        ),
      ).toBe(2);
      expect(stderr).toMatch(/--format must be one of networkpolicy, ciliumnetworkpolicy, seccomp/);
      expect(stderr).toMatch(/has no syscalls/);
      expect(stderr).toMatch(/no profile matches --workload nope .* \(found: kubescape\/operator:operator\)/);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  });
});
