/**
 * Draft enforcement from a profile (DESIGN §4: observe → baseline → enforce): a Kubernetes
 * NetworkPolicy (egress allow-list by IP/CIDR and selectors), a CiliumNetworkPolicy (the same plus
 * `toFQDNs` and an L7 DNS rule for the names seen), or a Security Profiles Operator SeccompProfile
 * (the syscalls seen, everything else logged). Each allows exactly what the profile holds and is
 * marked as a draft for audit, with the evidence that produced it; nothing here is applied.
 */
import { stringify } from 'yaml';
import type { Egress, Profile } from './profile.ts';

export type PolicyFormat = 'networkpolicy' | 'ciliumnetworkpolicy' | 'seccomp';
export const POLICY_FORMATS: readonly PolicyFormat[] = ['networkpolicy', 'ciliumnetworkpolicy', 'seccomp'];

export class PolicyExportError extends Error {
  override name = 'PolicyExportError';
}

/** YAML documents, one per profile, in profile order. */
export function exportPolicies(profiles: readonly Profile[], format: PolicyFormat): string {
  return profiles.map((p) => stringify(policyFor(p, format), { lineWidth: 0, sortMapEntries: false })).join('---\n');
}

export function policyFor(profile: Profile, format: PolicyFormat): Record<string, unknown> {
  if (format === 'seccomp') return seccomp(profile);
  if (!profile.egress.length)
    throw new PolicyExportError(`${describe(profile)} has no egress destinations: nothing to allow`);
  return format === 'networkpolicy' ? networkPolicy(profile) : ciliumPolicy(profile);
}

function describe(p: Profile): string {
  const i = p.identity;
  return `profile ${i.namespace}/${i.workloadKind}/${i.workloadName} container ${i.container}`;
}

function name(p: Profile, suffix: string): string {
  return `causeway-draft-${p.identity.workloadName}-${p.identity.container}-${suffix}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63)
    .replace(/-+$/, '');
}

function metadata(p: Profile, suffix: string, extra: Record<string, string> = {}): Record<string, unknown> {
  return {
    name: name(p, suffix),
    namespace: p.identity.namespace,
    labels: { 'app.kubernetes.io/managed-by': 'causeway', 'causeway.io/draft': 'true' },
    annotations: {
      'causeway.io/mode': 'audit',
      'causeway.io/profile-id': p.id,
      'causeway.io/workload': `${p.identity.cluster}/${p.identity.namespace}/${p.identity.workloadKind}/${p.identity.workloadName}`,
      'causeway.io/container': p.identity.container,
      'causeway.io/evidence': evidence(p),
      ...extra,
    },
  };
}

function evidence(p: Profile): string {
  const when =
    p.learningStartedAt !== undefined && p.learningEndsAt !== undefined
      ? `, learned ${new Date(p.learningStartedAt).toISOString()} to ${new Date(p.learningEndsAt).toISOString()}`
      : '';
  return `${p.status} profile from ${p.source.join('; ')}${p.observations ? `, ${p.observations} observations` : ''}${when}`;
}

/** The pods a policy applies to; without known labels, the conventional name label (review it). */
function selector(p: Profile): { labels: Record<string, string>; guessed: boolean } {
  return p.podLabels && Object.keys(p.podLabels).length
    ? { labels: { ...p.podLabels }, guessed: false }
    : { labels: { 'app.kubernetes.io/name': p.identity.workloadName }, guessed: true };
}

/** Egress entries grouped by destination, ports sorted, in a stable order. */
function destinations(p: Profile): { key: string; egress: Egress; ports: { port?: number; protocol: string }[] }[] {
  const groups = new Map<string, { key: string; egress: Egress; ports: { port?: number; protocol: string }[] }>();
  for (const e of p.egress) {
    const key = JSON.stringify([e.ip, e.podSelector ?? null, e.namespaceSelector ?? null, e.ip ? [] : e.dns]);
    const g = groups.get(key) ?? { key, egress: e, ports: [] };
    if (!g.ports.some((x) => x.port === e.port && x.protocol === e.protocol))
      g.ports.push({ port: e.port, protocol: e.protocol });
    groups.set(key, g);
  }
  const out = [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  for (const g of out) g.ports.sort((a, b) => (a.port ?? 0) - (b.port ?? 0) || a.protocol.localeCompare(b.protocol));
  return out;
}

function cidr(ip: string): string {
  return ip.includes('/') ? ip : ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}

function k8sPorts(ports: { port?: number; protocol: string }[]): Record<string, unknown>[] | undefined {
  const known = ports.filter((p) => p.port !== undefined);
  if (known.length < ports.length) return undefined; // some traffic on any port was allowed
  return known.map((p) => ({ protocol: p.protocol === 'ANY' ? 'TCP' : p.protocol, port: p.port }));
}

function networkPolicy(p: Profile): Record<string, unknown> {
  const sel = selector(p);
  const egress: Record<string, unknown>[] = [];
  const unexpressed: string[] = [];
  for (const d of destinations(p)) {
    const e = d.egress;
    let peer: Record<string, unknown> | undefined;
    if (e.ip === '*') peer = { ipBlock: { cidr: '0.0.0.0/0' } };
    else if (e.ip) peer = { ipBlock: { cidr: cidr(e.ip) } };
    else if (e.podSelector || e.namespaceSelector)
      peer = {
        ...(e.podSelector ? { podSelector: { matchLabels: e.podSelector } } : {}),
        ...(e.namespaceSelector ? { namespaceSelector: { matchLabels: e.namespaceSelector } } : {}),
      };
    if (!peer) {
      unexpressed.push(...e.dns);
      continue;
    }
    const ports = k8sPorts(d.ports);
    egress.push({ to: [peer], ...(ports ? { ports } : {}) });
  }
  const notes: Record<string, string> = {};
  if (unexpressed.length)
    notes['causeway.io/not-expressible'] =
      `destinations known only by DNS name (NetworkPolicy cannot name them; see the CiliumNetworkPolicy draft): ${[...new Set(unexpressed)].join(', ')}`;
  if (sel.guessed)
    notes['causeway.io/review-selector'] =
      'pod labels were not known: the podSelector uses app.kubernetes.io/name; set it to the workload pods labels';
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: metadata(p, 'egress', notes),
    spec: { podSelector: { matchLabels: sel.labels }, policyTypes: ['Egress'], egress },
  };
}

function ciliumPorts(ports: { port?: number; protocol: string }[]): Record<string, unknown>[] | undefined {
  const known = ports.filter((p) => p.port !== undefined);
  if (known.length < ports.length) return undefined;
  return [{ ports: known.map((p) => ({ port: String(p.port), protocol: p.protocol })) }];
}

function ciliumPolicy(p: Profile): Record<string, unknown> {
  const sel = selector(p);
  // One rule per peer with every port seen for it; a name seen at several addresses is one peer.
  const rules = new Map<string, { peer: Record<string, unknown>; ports: { port?: number; protocol: string }[] }>();
  const names = new Set<string>();
  for (const e of p.egress) {
    let peer: Record<string, unknown> | undefined;
    if (e.dns.length) {
      // L7-aware: the names the workload resolved, whatever addresses they resolve to next time.
      for (const n of e.dns) names.add(n);
      peer = { toFQDNs: e.dns.map((matchName) => ({ matchName })) };
    } else if (e.ip === '*') peer = { toEntities: ['world'] };
    else if (e.ip) peer = { toCIDR: [cidr(e.ip)] };
    else if (e.podSelector || e.namespaceSelector) {
      const labels: Record<string, string> = { ...(e.podSelector ?? {}) };
      for (const [k, v] of Object.entries(e.namespaceSelector ?? {}))
        labels[
          k === 'kubernetes.io/metadata.name'
            ? 'k8s:io.kubernetes.pod.namespace'
            : `k8s:io.cilium.k8s.namespace.labels.${k}`
        ] = v;
      if (!e.namespaceSelector) labels['k8s:io.kubernetes.pod.namespace'] = p.identity.namespace;
      peer = { toEndpoints: [{ matchLabels: labels }] };
    }
    if (!peer) continue;
    const key = JSON.stringify(peer);
    const rule = rules.get(key) ?? { peer, ports: [] };
    if (!rule.ports.some((x) => x.port === e.port && x.protocol === e.protocol))
      rule.ports.push({ port: e.port, protocol: e.protocol });
    rules.set(key, rule);
  }
  const egress: Record<string, unknown>[] = [...rules.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, r]) => {
      const toPorts = ciliumPorts(
        r.ports.sort((a, b) => (a.port ?? 0) - (b.port ?? 0) || a.protocol.localeCompare(b.protocol)),
      );
      return { ...r.peer, ...(toPorts ? { toPorts } : {}) };
    });
  if (names.size) {
    // toFQDNs needs Cilium's DNS proxy to see the lookups: allow them to kube-dns for these names only.
    egress.push({
      toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
      toPorts: [
        {
          ports: [{ port: '53', protocol: 'ANY' }],
          rules: { dns: [...names].sort().map((matchName) => ({ matchName })) },
        },
      ],
    });
  }
  const notes: Record<string, string> = {
    'causeway.io/audit': 'enable Cilium policy audit mode for these endpoints before enforcing (policy-audit-mode)',
  };
  if (sel.guessed)
    notes['causeway.io/review-selector'] =
      'pod labels were not known: the endpointSelector uses app.kubernetes.io/name; set it to the workload pods labels';
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: metadata(p, 'egress', notes),
    spec: { endpointSelector: { matchLabels: sel.labels }, egress },
  };
}

function seccomp(p: Profile): Record<string, unknown> {
  if (!p.syscalls.length) {
    throw new PolicyExportError(
      `${describe(p)} has no syscalls: the sensors that built it do not report them (import the workload's Kubescape ApplicationProfile, which records them)`,
    );
  }
  return {
    apiVersion: 'security-profiles-operator.x-k8s.io/v1beta1',
    kind: 'SeccompProfile',
    metadata: metadata(p, 'seccomp'),
    spec: {
      // Audit: everything not listed is logged, not refused.
      defaultAction: 'SCMP_ACT_LOG',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ action: 'SCMP_ACT_ALLOW', names: [...p.syscalls].sort() }],
    },
  };
}
