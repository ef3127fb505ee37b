/**
 * Would these egress policies let this observed flow through? Policies that select the same pods
 * add up (a flow passes when any of them allows it, and no Cilium deny rule matches). In-cluster
 * destinations are matched by the workload that owns the address; pod labels are not observed, so
 * a selector matches by the conventional name labels (`app.kubernetes.io/name`, `app`, `k8s-app`).
 */
import { isIP } from 'node:net';
import type { EgressPolicy, EgressRule, Peer, PortRule } from './egressRules.ts';
import type { ObservedFlow } from './observedFlow.ts';
import { serviceOfName } from './spanDestination.ts';

/** What the observations say about addresses: which workload owns one, which names resolved to it. */
export interface AddressBook {
  workloadOf(ip: string): { namespace: string; workloadName: string } | undefined;
  namesOf(ip: string): readonly string[];
}

export type Verdict =
  { outcome: 'allow' } | { outcome: 'deny'; reason: string } | { outcome: 'not-evaluated'; reason: string };

const NAME_LABELS = ['app.kubernetes.io/name', 'app', 'k8s-app', 'name'];
const PRIVATE = /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|fd|fc)/i;

export function egressVerdict(policies: readonly EgressPolicy[], flow: ObservedFlow, book: AddressBook): Verdict {
  const isolating = policies.filter((p) => p.isolates);
  if (!isolating.length) return { outcome: 'allow' };
  const external = !flow.ip && !!flow.domain && !serviceOfName(flow.domain);
  if (external && flow.kind !== 'dns' && isolating.every((p) => p.draft.kind === 'NetworkPolicy'))
    return {
      outcome: 'not-evaluated',
      reason: 'a NetworkPolicy cannot name hosts: the connection to its address decides',
    };
  for (const p of isolating)
    for (const r of p.deny)
      if (ruleMatches(r, flow, book, p))
        return { outcome: 'deny', reason: `an egressDeny rule of ${p.draft.name} matches` };
  for (const p of isolating) for (const r of p.allow) if (ruleMatches(r, flow, book, p)) return { outcome: 'allow' };
  return { outcome: 'deny', reason: denyReason(flow, book) };
}

function denyReason(flow: ObservedFlow, book: AddressBook): string {
  if (flow.kind === 'dns') return `no rule allows DNS to kube-dns for ${flow.domain}`;
  if (flow.kind === 'http')
    return `no rule allows ${flow.method} ${flow.path} on ${flow.domain ?? flow.ip}:${flow.port ?? '*'}`;
  const names = flow.ip ? book.namesOf(flow.ip) : [];
  const owner = flow.ip ? book.workloadOf(flow.ip) : undefined;
  const what = `${flow.ip ?? flow.domain}:${flow.port ?? '*'}/${flow.protocol ?? 'TCP'}`;
  return owner
    ? `no rule allows ${what} (pod of ${owner.namespace}/${owner.workloadName})`
    : names.length
      ? `no rule allows ${what} (${names.join(', ')})`
      : `no rule allows ${what}`;
}

function ruleMatches(r: EgressRule, flow: ObservedFlow, book: AddressBook, p: EgressPolicy): boolean {
  if (flow.kind === 'dns') return dnsAllowed(r, flow);
  if (r.peers !== 'any' && !r.peers.some((peer) => peerMatches(peer, flow, book))) return false;
  if (r.ports === 'any') return true;
  return r.ports.some((port) => portMatches(port, flow) && l7Matches(port, flow, p));
}

/** A lookup goes to kube-dns on port 53: allowed by a rule whose peers include it (and whose DNS rules name it). */
function dnsAllowed(r: EgressRule, flow: ObservedFlow): boolean {
  const toDns =
    r.peers === 'any' ||
    r.peers.some(
      (peer) =>
        (peer.type === 'selector' && peer.labels['k8s-app'] === 'kube-dns') ||
        (peer.type === 'entity' && (peer.entity === 'all' || peer.entity === 'cluster')),
    );
  if (!toDns) return false;
  if (r.ports === 'any') return true;
  return r.ports.some(
    (port) =>
      (port.port === undefined ||
        port.port === 53 ||
        (port.endPort !== undefined && port.port <= 53 && 53 <= port.endPort)) &&
      (!port.dns || port.dns.some((d) => d.test(flow.domain ?? ''))),
  );
}

function peerMatches(peer: Peer, flow: ObservedFlow, book: AddressBook): boolean {
  const ip = flow.ip;
  switch (peer.type) {
    case 'cidr': {
      if (!ip) return false;
      const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
      return peer.blocks.check(ip, family) && !peer.except.check(ip, family);
    }
    case 'fqdn': {
      const names = [...(flow.domain ? [flow.domain] : []), ...(ip ? book.namesOf(ip) : [])];
      return names.some((n) => peer.name.test(n));
    }
    case 'entity': {
      if (peer.entity === 'all') return true;
      const inCluster = !!ip && (book.workloadOf(ip) !== undefined || PRIVATE.test(ip));
      if (peer.entity === 'world') return !inCluster;
      return peer.entity === 'cluster' && inCluster;
    }
    case 'selector': {
      const service = flow.domain ? serviceOfName(flow.domain) : undefined;
      const owner = ip ? book.workloadOf(ip) : service && { namespace: service.namespace, workloadName: service.name };
      if (!owner) return false;
      if (!peer.anyNamespace && peer.namespace !== undefined && peer.namespace !== owner.namespace) return false;
      const named = NAME_LABELS.filter((k) => peer.labels[k] !== undefined);
      // No name label: the selector picks every pod of the namespace, or labels we cannot see.
      return !named.length || named.some((k) => peer.labels[k] === owner.workloadName);
    }
  }
}

function portMatches(rule: PortRule, flow: ObservedFlow): boolean {
  const protocol = flow.protocol ?? 'TCP';
  if (rule.protocol !== 'ANY' && rule.protocol !== protocol) return false;
  if (rule.named !== undefined || rule.port === undefined) return true;
  if (flow.port === undefined) return false;
  return rule.endPort !== undefined ? rule.port <= flow.port && flow.port <= rule.endPort : rule.port === flow.port;
}

/** Cilium L7: on a port with HTTP rules an HTTP call passes only if one rule matches its method and path. */
function l7Matches(rule: PortRule, flow: ObservedFlow, p: EgressPolicy): boolean {
  if (p.draft.kind !== 'CiliumNetworkPolicy' || flow.kind !== 'http' || !rule.http?.length) return true;
  return rule.http.some(
    (h) => (!h.method || h.method.test(flow.method ?? '')) && (!h.path || h.path.test(flow.path ?? '/')),
  );
}
