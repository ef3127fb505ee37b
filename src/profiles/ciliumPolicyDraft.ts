/**
 * A `cilium.io/v2` CiliumNetworkPolicy draft: the NetworkPolicy's peers plus `toFQDNs` for names,
 * and, where OTel HTTP client spans showed what the workload calls, L7 `rules.http` allowing exactly
 * those methods and path patterns on those hosts (AKS with Azure CNI powered by Cilium supports them
 * with Advanced Container Networking Services' L7 policy). The kube-dns rule carries an L7 DNS rule
 * for exactly the names seen, which is also what lets Cilium's DNS proxy learn `toFQDNs` addresses.
 */
import { ANNOTATIONS, destinationText, draftMetadata, isKubeDns, isWildcard, podSelectorOf } from './draftMetadata.ts';
import { cidrOf, type DraftNotes } from './networkPolicyDraft.ts';
import { DYNAMIC, type Egress, type HttpCall, type Profile } from './profile.ts';
import { forbidsWildcardEgress, type ResolvedClass } from './profileClass.ts';

interface PortGroup {
  port?: number;
  protocol: string;
  /** HTTP calls seen on this port; none means an L4-only rule. */
  http: HttpCall[];
  tls: boolean;
}

export function ciliumPolicyDraft(p: Profile, c: ResolvedClass): { doc: Record<string, unknown>; notes: DraftNotes } {
  const notes: DraftNotes = { notExpressible: [], refused: [] };
  const strict = forbidsWildcardEgress(c.profileClass);
  const rules = new Map<string, { peer: Record<string, unknown>; label: string; ports: PortGroup[] }>();
  const names = new Set<string>(p.dnsNames ?? []);
  let kubeDnsListed = false;
  const tlsL7: string[] = [];
  for (const e of p.egress) {
    if (strict && isWildcard(e)) {
      notes.refused.push(`wildcard egress ${destinationText(e)} (${c.profileClass})`);
      continue;
    }
    if (isKubeDns(e)) {
      kubeDnsListed = true; // replaced by the L7 DNS rule below
      continue;
    }
    const peer = peerOf(e, p.identity.namespace);
    if (!peer) continue;
    for (const n of e.dns) if (!n.includes('*')) names.add(n);
    const key = JSON.stringify(peer);
    const rule = rules.get(key) ?? { peer, label: e.dns.join(',') || e.ip, ports: [] };
    let group = rule.ports.find((x) => x.port === e.port && x.protocol === e.protocol);
    if (!group) rule.ports.push((group = { port: e.port, protocol: e.protocol, http: [], tls: false }));
    for (const call of e.http ?? [])
      if (!group.http.some((h) => h.method === call.method && h.path === call.path)) group.http.push(call);
    if (e.tls) group.tls = true;
    rules.set(key, rule);
  }
  const egress: Record<string, unknown>[] = [...rules.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, r]) => {
      const toPorts = ciliumPorts(r.ports);
      for (const g of r.ports) if (g.http.length && g.tls) tlsL7.push(`${r.label}:${g.port}`);
      return { ...r.peer, ...(toPorts ? { toPorts } : {}) };
    });
  notes.dnsAllowed = names.size > 0 || kubeDnsListed;
  if (notes.dnsAllowed) {
    const dns = [...names].sort().map((matchName) => ({ matchName }));
    egress.push({
      toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
      toPorts: [
        // Lookups of exactly the names seen; with none known (only the kube-dns peer was listed), any.
        { ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: dns.length ? dns : [{ matchPattern: '*' }] } },
      ],
    });
  }
  const extra: Record<string, string> = {
    [ANNOTATIONS.audit]:
      'enable Cilium policy audit mode for these endpoints before applying (policy-audit-mode), then run causeway policy check',
  };
  if (tlsL7.length)
    extra[ANNOTATIONS.l7Tls] =
      `HTTP rules on TLS connections (${tlsL7.join(', ')}) take effect only with Cilium TLS inspection (terminatingTLS and originatingTLS on those toPorts); without it, remove their rules.http and keep the FQDN and port`;
  if (notes.refused.length) extra[ANNOTATIONS.refused] = notes.refused.join('; ');
  const sel = podSelectorOf(p);
  if (sel.guessed)
    extra[ANNOTATIONS.reviewSelector] =
      'pod labels were not known: the endpointSelector uses app.kubernetes.io/name; set it to the workload pods labels';
  return {
    doc: {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: draftMetadata(p, 'egress', c, extra),
      // An omitted or empty egress list does not apply at egress; one empty rule puts the endpoints
      // in default-deny for egress and allows nothing (Cilium's documented deny-all).
      spec: { endpointSelector: { matchLabels: sel.labels }, egress: egress.length ? egress : [{}] },
    },
    notes,
  };
}

function peerOf(e: Egress, namespace: string): Record<string, unknown> | undefined {
  // L7-aware: the names the workload resolved, whatever addresses they resolve to next time.
  if (e.dns.length) return { toFQDNs: e.dns.map((n) => (n.includes('*') ? { matchPattern: n } : { matchName: n })) };
  if (e.ip === '*' || /\/0$/.test(e.ip)) return { toEntities: ['world'] };
  if (e.ip) return { toCIDR: [cidrOf(e.ip)] };
  if (e.podSelector || e.namespaceSelector) {
    const labels: Record<string, string> = { ...(e.podSelector ?? {}) };
    for (const [k, v] of Object.entries(e.namespaceSelector ?? {}))
      labels[
        k === 'kubernetes.io/metadata.name'
          ? 'k8s:io.kubernetes.pod.namespace'
          : `k8s:io.cilium.k8s.namespace.labels.${k}`
      ] = v;
    if (!e.namespaceSelector) labels['k8s:io.kubernetes.pod.namespace'] = namespace;
    return { toEndpoints: [{ matchLabels: labels }] };
  }
  return undefined;
}

/**
 * Ports without HTTP calls share one L4 rule; each port with HTTP calls gets its own rule with the
 * calls (Cilium ignores the L7 part of a rule when a plain L4 rule covers the same port).
 */
function ciliumPorts(groups: PortGroup[]): Record<string, unknown>[] | undefined {
  if (groups.some((g) => g.port === undefined)) return undefined; // any port was allowed
  const sorted = [...groups].sort((a, b) => a.port! - b.port! || a.protocol.localeCompare(b.protocol));
  const out: Record<string, unknown>[] = [];
  const plain = sorted.filter((g) => !g.http.length);
  if (plain.length) out.push({ ports: plain.map((g) => ({ port: String(g.port), protocol: g.protocol })) });
  for (const g of sorted.filter((x) => x.http.length))
    out.push({
      ports: [{ port: String(g.port), protocol: g.protocol }],
      rules: {
        http: [...g.http]
          .sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))
          .map((h) => ({ method: h.method, path: pathRegex(h.path) })),
      },
    });
  return out;
}

/**
 * A path pattern as Cilium's extended POSIX regex, matched against the whole request path: literal
 * segments escaped, `⋯` for one segment, any query string allowed.
 */
export function pathRegex(pattern: string): string {
  const body = pattern
    .split(DYNAMIC)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/?]+');
  return `${body}(\\?.*)?`;
}
