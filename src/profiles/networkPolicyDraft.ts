/**
 * A `networking.k8s.io/v1` NetworkPolicy draft: egress by IP/CIDR and selectors, exactly what the
 * profile holds. A workload that made no egress gets a deny-all egress policy; DNS to kube-dns is
 * allowed only when the workload was seen resolving names. Names, HTTP rules and refused wildcards
 * (strict classes) cannot be expressed here and are listed, not dropped silently.
 */
import { ANNOTATIONS, destinationText, draftMetadata, isKubeDns, isWildcard, podSelectorOf } from './draftMetadata.ts';
import type { Egress, Profile } from './profile.ts';
import { forbidsWildcardEgress, type ResolvedClass } from './profileClass.ts';

/** What a draft could not say: shown in an annotation and in the export summary. */
export interface DraftNotes {
  notExpressible: string[];
  refused: string[];
  /** Whether the draft lets the workload resolve names through kube-dns. */
  dnsAllowed?: boolean;
}

/** The cluster DNS as a NetworkPolicy peer (the `k8s-app: kube-dns` pods in kube-system). */
export const KUBE_DNS_PEER = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
};

type Port = { port?: number; protocol: string };

export function networkPolicyDraft(p: Profile, c: ResolvedClass): { doc: Record<string, unknown>; notes: DraftNotes } {
  const notes: DraftNotes = { notExpressible: [], refused: [] };
  const strict = forbidsWildcardEgress(c.profileClass);
  const groups = new Map<string, { peer: Record<string, unknown>; ports: Port[] }>();
  let resolves = (p.dnsNames ?? []).length > 0;
  for (const e of p.egress) {
    if (strict && isWildcard(e)) {
      notes.refused.push(`wildcard egress ${destinationText(e)} (${c.profileClass})`);
      continue;
    }
    if (e.dns.length || isKubeDns(e)) resolves = true;
    if (isKubeDns(e)) continue; // written once below, with both protocols
    const peer = peerOf(e);
    if (!peer) {
      notes.notExpressible.push(`${destinationText(e)} is known only by name`);
      continue;
    }
    const key = JSON.stringify(peer);
    const g = groups.get(key) ?? { peer, ports: [] };
    if (!g.ports.some((x) => x.port === e.port && x.protocol === e.protocol))
      g.ports.push({ port: e.port, protocol: e.protocol });
    groups.set(key, g);
    if (e.http?.length) notes.notExpressible.push(`HTTP rules for ${destinationText(e)} (see the CiliumNetworkPolicy)`);
  }
  const egress: Record<string, unknown>[] = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, g]) => {
      const ports = k8sPorts(g.ports);
      return { to: [g.peer], ...(ports ? { ports } : {}) };
    });
  notes.dnsAllowed = resolves;
  if (resolves)
    egress.push({
      to: [KUBE_DNS_PEER],
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
    });
  const sel = podSelectorOf(p);
  const extra: Record<string, string> = {};
  if (notes.notExpressible.length)
    extra[ANNOTATIONS.notExpressible] =
      `NetworkPolicy cannot name these (use the CiliumNetworkPolicy draft): ${notes.notExpressible.join('; ')}`;
  if (notes.refused.length) extra[ANNOTATIONS.refused] = notes.refused.join('; ');
  if (sel.guessed)
    extra[ANNOTATIONS.reviewSelector] =
      'pod labels were not known: the podSelector uses app.kubernetes.io/name; set it to the workload pods labels';
  return {
    doc: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: draftMetadata(p, 'egress', c, extra),
      // An empty egress list with policyTypes [Egress] denies all egress: what a silent workload earns.
      spec: { podSelector: { matchLabels: sel.labels }, policyTypes: ['Egress'], egress },
    },
    notes,
  };
}

function peerOf(e: Egress): Record<string, unknown> | undefined {
  if (e.ip === '*') return { ipBlock: { cidr: '0.0.0.0/0' } };
  if (e.ip) return { ipBlock: { cidr: cidrOf(e.ip) } };
  if (e.podSelector || e.namespaceSelector)
    return {
      ...(e.podSelector ? { podSelector: { matchLabels: e.podSelector } } : {}),
      ...(e.namespaceSelector ? { namespaceSelector: { matchLabels: e.namespaceSelector } } : {}),
    };
  return undefined;
}

export function cidrOf(ip: string): string {
  return ip.includes('/') ? ip : ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}

function k8sPorts(ports: Port[]): Record<string, unknown>[] | undefined {
  const known = ports.filter((p) => p.port !== undefined);
  if (known.length < ports.length) return undefined; // some traffic on any port was allowed
  return known
    .sort((a, b) => a.port! - b.port! || a.protocol.localeCompare(b.protocol))
    .map((p) => ({ protocol: p.protocol === 'ANY' ? 'TCP' : p.protocol, port: p.port }));
}
