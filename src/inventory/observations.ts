/**
 * What one event shows of the AI components of its workload: the agent that reported it, the
 * model it called, the MCP server it served or called and the tool, or a known AI endpoint its
 * process connected to. Pure: the same event gives the same observations.
 */
import { isIP } from 'node:net';
import type { RuntimeEvent } from '../model/event.ts';
import { aiEndpointOf, defenderCovers } from './aiEndpoints.ts';

/** The kinds of component the runtime AI-BOM lists. */
export type ComponentType = 'agent' | 'model' | 'mcp-server' | 'tool' | 'ai-endpoint';

/** The descriptive fields of a component; a change in one of these writes a `changed` row. */
export interface ComponentFacts {
  version?: string;
  framework?: string;
  provider?: string;
  api?: string;
  protocolVersion?: string;
  transport?: string;
  defenderForAi?: boolean;
}

/** One component as one event shows it. */
export interface Observation {
  type: ComponentType;
  /** Identifying names, joined into the component id (with the workload). */
  identity: string;
  name: string;
  facts: ComponentFacts;
  serviceName?: string;
  agentName?: string;
  agentId?: string;
  requestModel?: string;
  responseModel?: string;
  endpointAddress?: string;
  dnsName?: string;
  dstPort?: number;
  mcpServerName?: string;
}

/** Command lines of stdio MCP servers, and the package or module that names the server. */
const STDIO_SERVER =
  /(?:@modelcontextprotocol\/(server-[\w.-]+)|\b((?:mcp[-_]server|server[-_]mcp)[-_\w.]*)|(\S+)\s+--stdio\b)/i;

/**
 * Observations of an event. `dnsNameOf` answers which DNS name a connected address was resolved
 * from in this workload (kernel connects carry an address, DNS events the name).
 */
export function observationsOf(e: RuntimeEvent, dnsNameOf: (ip: string) => string | undefined): Observation[] {
  const t = e.trace;
  if (t) return spanObservations(e);
  if (e.kind === 'network.connect' && e.network?.dstIp) {
    const name = e.network.domain ?? dnsNameOf(e.network.dstIp);
    const ai = aiEndpointOf(name);
    if (!ai || !name) return [];
    return [
      {
        type: 'ai-endpoint',
        identity: `${name.toLowerCase()}:${e.network.dstPort ?? ''}`,
        name: name.toLowerCase(),
        facts: { provider: ai.provider, defenderForAi: ai.defenderForAi },
        endpointAddress: e.network.dstIp,
        dnsName: name.toLowerCase(),
        dstPort: e.network.dstPort,
      },
    ];
  }
  if (e.kind === 'process.exec') {
    const m = STDIO_SERVER.exec(e.process?.commandLine ?? '');
    const name = m && (m[1] ?? m[2] ?? m[3]?.split('/').pop());
    if (!name) return [];
    return [{ type: 'mcp-server', identity: `stdio:${name}`, name, facts: { transport: 'stdio' } }];
  }
  return [];
}

function spanObservations(e: RuntimeEvent): Observation[] {
  const t = e.trace!;
  const out: Observation[] = [];
  const service = e.workload.serviceName;
  const agentName = t.agentName;
  if (e.layer === 'agent' && agentName)
    out.push({
      type: 'agent',
      identity: agentName,
      name: agentName,
      // The agent's framework is the scope of its invoke_agent spans; model spans come from other libraries.
      facts: e.kind === 'agent.invoke' ? { framework: t.scope, version: t.serviceVersion } : {},
      serviceName: service,
      agentName,
      agentId: t.agentId,
    });
  if (e.kind === 'llm.chat') {
    const model = t.model ?? t.responseModel ?? 'unknown';
    const endpoint = t.serverAddress?.toLowerCase();
    const provider = t.provider ?? aiEndpointOf(endpoint)?.provider;
    out.push({
      type: 'model',
      // One model of one provider is one component, whichever of its calls named the endpoint.
      identity: `${provider ?? ''}|${model}`,
      name: model,
      facts: { provider, api: t.operation, defenderForAi: defenderCovers(endpoint, provider) },
      serviceName: service,
      agentName,
      agentId: t.agentId,
      requestModel: t.model,
      responseModel: t.responseModel,
      endpointAddress: endpoint,
      dnsName: endpoint && !isIP(endpoint) ? endpoint : undefined,
      dstPort: t.serverPort,
    });
  }
  if (e.kind === 'mcp.request') out.push(...mcpObservations(e));
  return out;
}

/**
 * A server span or a gateway audit record describes the server itself (this workload serves it);
 * a client span describes a server this workload calls (remote, or its stdio child).
 */
function mcpObservations(e: RuntimeEvent): Observation[] {
  const t = e.trace!;
  const serving = t.spanKind === 'SERVER';
  const stdio = t.networkTransport === 'pipe';
  const server = serving
    ? (e.workload.serviceName ?? e.workload.workloadName ?? e.workload.pod ?? 'unknown')
    : (t.serverAddress ?? (stdio ? 'stdio' : 'unknown'));
  const out: Observation[] = [
    {
      type: 'mcp-server',
      identity: `${serving ? 'serves' : 'calls'}:${server}`,
      name: server,
      facts: {
        version: serving ? t.serviceVersion : undefined,
        protocolVersion: t.protocolVersion,
        transport: stdio ? 'stdio' : t.networkTransport || t.serverAddress || serving ? 'remote' : undefined,
        framework: serving ? t.scope : undefined,
      },
      serviceName: e.workload.serviceName,
      agentName: serving ? undefined : t.agentName,
      mcpServerName: server,
      endpointAddress: serving ? undefined : t.serverAddress,
      dnsName: !serving && t.serverAddress && !isIP(t.serverAddress) ? t.serverAddress : undefined,
      dstPort: serving ? undefined : t.serverPort,
    },
  ];
  // Only a call names a tool the server really has: a tools/list or a failed call (unknown tool) does not.
  if (t.toolName && (t.mcpMethod === 'tools/call' || t.operation === 'execute_tool') && t.errorCode === undefined)
    out.push({
      type: 'tool',
      identity: `${server}|${t.toolName}`,
      name: t.toolName,
      facts: {},
      serviceName: e.workload.serviceName,
      agentName: serving ? undefined : t.agentName,
      mcpServerName: server,
    });
  return out;
}
