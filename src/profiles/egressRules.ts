/**
 * NetworkPolicy and CiliumNetworkPolicy egress, read into one shape that `policy check` matches
 * observed flows against: rules of peers (CIDR blocks, selectors, DNS names, entities) and ports
 * (with Cilium's L7 HTTP and DNS rules). Regexes in Cilium rules are extended POSIX; the ones
 * Causeway writes, and ordinary hand-written ones, read the same as JavaScript regexes.
 */
import { BlockList, isIP } from 'node:net';
import { DraftError, type DraftDocument } from './draftDocument.ts';

export type Peer =
  | { type: 'cidr'; blocks: BlockList; except: BlockList; text: string }
  | { type: 'selector'; namespace?: string; anyNamespace: boolean; labels: Record<string, string> }
  | { type: 'fqdn'; name: RegExp; text: string }
  | { type: 'entity'; entity: string };

export interface PortRule {
  /** Undefined: any port. */
  port?: number;
  endPort?: number;
  /** A named port: what it resolves to is not observed, so it matches any port. */
  named?: string;
  /** TCP, UDP, SCTP or ANY. */
  protocol: string;
  http?: { method?: RegExp; path?: RegExp }[];
  dns?: RegExp[];
}

export interface EgressRule {
  peers: Peer[] | 'any';
  ports: PortRule[] | 'any';
}

/** The egress side of one policy: whether it isolates egress, what it allows and (Cilium) denies. */
export interface EgressPolicy {
  draft: DraftDocument;
  isolates: boolean;
  allow: EgressRule[];
  deny: EgressRule[];
}

type Json = Record<string, unknown>;

export function egressPolicyOf(draft: DraftDocument): EgressPolicy {
  const spec = (draft.doc.spec ?? {}) as Json;
  if (draft.kind === 'NetworkPolicy') {
    const types = spec.policyTypes as string[] | undefined;
    const isolates = types ? types.includes('Egress') : Array.isArray(spec.egress);
    const allow = ((spec.egress as Json[] | undefined) ?? []).map((r) => npRule(r, draft));
    return { draft, isolates, allow, deny: [] };
  }
  const egress = (spec.egress as Json[] | undefined) ?? [];
  const egressDeny = (spec.egressDeny as Json[] | undefined) ?? [];
  return {
    draft,
    isolates: egress.length > 0 || egressDeny.length > 0,
    allow: egress.map((r) => ciliumRule(r, draft)),
    deny: egressDeny.map((r) => ciliumRule(r, draft)),
  };
}

function npRule(r: Json, draft: DraftDocument): EgressRule {
  const to = r.to as Json[] | undefined;
  const ports = r.ports as Json[] | undefined;
  return {
    peers: to?.length ? to.map((p) => npPeer(p, draft)) : 'any',
    ports: ports?.length ? ports.map(npPort) : 'any',
  };
}

function npPeer(p: Json, draft: DraftDocument): Peer {
  const block = p.ipBlock as { cidr?: string; except?: string[] } | undefined;
  if (block?.cidr) return cidrPeer([block.cidr], block.except ?? [], draft);
  const ns = (p.namespaceSelector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;
  const pods = (p.podSelector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {};
  const namespaceName = ns?.['kubernetes.io/metadata.name'];
  return {
    type: 'selector',
    namespace: p.namespaceSelector ? namespaceName : draft.namespace,
    anyNamespace: !!p.namespaceSelector && !namespaceName,
    labels: pods,
  };
}

function npPort(p: Json): PortRule {
  const protocol = String(p.protocol ?? 'TCP').toUpperCase();
  if (typeof p.port === 'string') return { named: p.port, protocol };
  return { port: p.port as number | undefined, endPort: p.endPort as number | undefined, protocol };
}

function ciliumRule(r: Json, draft: DraftDocument): EgressRule {
  const unjudged = ['toServices', 'toGroups', 'toNodes', 'toRequires'].filter((k) => r[k] !== undefined);
  if (unjudged.length)
    throw new DraftError(
      `${draft.name} (document ${draft.index}): ${unjudged.join(', ')} cannot be judged from observed flows; check a policy without them`,
    );
  const peers: Peer[] = [];
  for (const c of (r.toCIDR as string[] | undefined) ?? []) peers.push(cidrPeer([c], [], draft));
  for (const c of (r.toCIDRSet as { cidr?: string; except?: string[] }[] | undefined) ?? [])
    if (c.cidr) peers.push(cidrPeer([c.cidr], c.except ?? [], draft));
  for (const e of (r.toEndpoints as { matchLabels?: Record<string, string> }[] | undefined) ?? [])
    peers.push(ciliumSelector(e.matchLabels ?? {}, draft));
  for (const f of (r.toFQDNs as { matchName?: string; matchPattern?: string }[] | undefined) ?? [])
    peers.push({ type: 'fqdn', name: fqdnRegex(f.matchName, f.matchPattern), text: f.matchName ?? f.matchPattern! });
  for (const e of (r.toEntities as string[] | undefined) ?? []) peers.push({ type: 'entity', entity: e });
  const toPorts = (r.toPorts as Json[] | undefined) ?? [];
  const ports: PortRule[] = toPorts.flatMap((tp) => {
    const rules = (tp.rules ?? {}) as Json;
    const http = (rules.http as { method?: string; path?: string }[] | undefined)?.map((h) => ({
      method: h.method ? fullRegex(h.method, draft) : undefined,
      path: h.path ? fullRegex(h.path, draft) : undefined,
    }));
    const dns = (rules.dns as { matchName?: string; matchPattern?: string }[] | undefined)?.map((d) =>
      fqdnRegex(d.matchName, d.matchPattern),
    );
    const list = (tp.ports as { port?: string; endPort?: number; protocol?: string }[] | undefined) ?? [];
    return (list.length ? list : [{}]).map((p) => {
      const protocol = String(p.protocol ?? 'ANY').toUpperCase();
      const n = p.port === undefined || p.port === '0' ? undefined : Number(p.port);
      const named = p.port !== undefined && Number.isNaN(n) ? p.port : undefined;
      return { port: named ? undefined : n, endPort: p.endPort, named, protocol, http, dns };
    });
  });
  // A rule with ports but no peer allows those ports to anywhere; a rule with neither allows nothing
  // (Cilium's `egress: [{}]`, default deny).
  const empty = !peers.length && !toPorts.length;
  return { peers: empty ? [] : peers.length ? peers : 'any', ports: ports.length ? ports : 'any' };
}

function ciliumSelector(labels: Record<string, string>, draft: DraftDocument): Peer {
  const plain: Record<string, string> = {};
  let namespace: string | undefined = draft.namespace;
  for (const [k, v] of Object.entries(labels)) {
    if (k === 'k8s:io.kubernetes.pod.namespace' || k === 'io.kubernetes.pod.namespace') namespace = v;
    else plain[k.replace(/^k8s:/, '')] = v;
  }
  return { type: 'selector', namespace, anyNamespace: false, labels: plain };
}

function cidrPeer(cidrs: string[], except: string[], draft: DraftDocument): Peer {
  const blocks = new BlockList();
  const excluded = new BlockList();
  for (const [list, values] of [
    [blocks, cidrs],
    [excluded, except],
  ] as const)
    for (const c of values) {
      const [net, bits] = c.split('/');
      const family = isIP(net ?? '');
      if (!family || (bits !== undefined && !/^\d+$/.test(bits)))
        throw new DraftError(`${draft.name} (document ${draft.index}): a CIDR is not an address/prefix-length block`);
      list.addSubnet(
        net!,
        bits === undefined ? (family === 4 ? 32 : 128) : Number(bits),
        family === 4 ? 'ipv4' : 'ipv6',
      );
    }
  return { type: 'cidr', blocks, except: excluded, text: cidrs.join(',') };
}

/** Cilium FQDN matching: literal names, or `*` for any run of DNS characters (`*` alone: every name). */
export function fqdnRegex(matchName?: string, matchPattern?: string): RegExp {
  const clean = (s: string) => s.replace(/\.$/, '').toLowerCase();
  if (matchName) return new RegExp(`^${escape(clean(matchName))}$`);
  const pattern = clean(matchPattern ?? '');
  if (pattern === '*') return /^.*$/;
  return new RegExp(`^${pattern.split('*').map(escape).join('[-a-z0-9_]*')}$`);
}

function fullRegex(source: string, draft: DraftDocument): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch {
    throw new DraftError(`${draft.name} (document ${draft.index}): an HTTP rule is not a valid regular expression`);
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
