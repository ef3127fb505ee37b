/**
 * Where a client span went: `server.address` and `server.port` of an agent's model call, an MCP
 * client call or any other CLIENT span. A Kubernetes service name (`kb-tools.agents.svc`) is an
 * in-cluster destination, named in policies by selector rather than by DNS name (Cilium's toFQDNs
 * does not apply to in-cluster addresses).
 */
import type { TraceInfo } from '../model/event.ts';

export interface SpanDestination {
  host: string;
  port?: number;
  /** The service, when the host is a cluster service name. */
  service?: { name: string; namespace: string };
}

const LOCAL = /^(127\.|::1$|0\.0\.0\.0$|localhost$)/;
const SERVICE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?$/;

export function spanDestinationOf(t: TraceInfo | undefined, kind?: string): SpanDestination | undefined {
  if (t?.spanKind !== 'CLIENT') return undefined;
  const host = t.serverAddress?.replace(/\.$/, '').toLowerCase();
  if (!host || LOCAL.test(host)) return undefined;
  const service = serviceOfName(host);
  // OTel leaves server.port out when it is the default; model APIs are HTTPS.
  const port = t.serverPort ?? (!service && (kind === 'llm.chat' || kind === 'agent.invoke') ? 443 : undefined);
  return { host, port, ...(service ? { service } : {}) };
}

/** `kb-tools.agents.svc` (or `.svc.cluster.local`) → the service kb-tools in namespace agents. */
export function serviceOfName(host: string): { name: string; namespace: string } | undefined {
  const m = SERVICE.exec(host);
  return m ? { name: m[1]!, namespace: m[3]! } : undefined;
}
