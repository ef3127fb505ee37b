/**
 * The runtime AI-BOM as a CycloneDX 1.6 JSON document: models are `machine-learning-model`
 * components; agents, MCP servers (with their tools as nested services) and AI endpoints are
 * services; each agent depends on the models and MCP servers its workload used. Deterministic:
 * the serial number and timestamp come from the inventory, never from the clock.
 */
import { uuidFrom } from '../common/hash.ts';
import type { InventoryItem } from './inventoryFromRows.ts';

type Json = Record<string, unknown>;

/** Builds the BOM; `tool` names the generator in metadata. */
export function cycloneDxBom(items: readonly InventoryItem[], tool: { name: string; version: string }): Json {
  const latest = items.reduce((t, i) => (i.lastSeen > t ? i.lastSeen : t), '1970-01-01T00:00:00.000Z');
  const ref = (i: InventoryItem) => `causeway:${i.type}:${i.id}`;
  const models = items.filter((i) => i.type === 'model');
  const servers = items.filter((i) => i.type === 'mcp-server');
  const tools = items.filter((i) => i.type === 'tool');
  const services: Json[] = [
    ...items.filter((i) => i.type === 'agent').map((i) => service(i, ref(i))),
    ...servers.map((s) => ({
      ...service(s, ref(s)),
      services: tools.filter((t) => sameWorkload(t, s) && t.mcpServerName === s.name).map((t) => service(t, ref(t))),
    })),
    ...items.filter((i) => i.type === 'ai-endpoint').map((i) => service(i, ref(i))),
  ];
  const dependencies = items
    .filter((i) => i.type === 'agent')
    .map((a) => ({
      ref: ref(a),
      dependsOn: [...models, ...servers].filter((x) => sameWorkload(x, a)).map(ref),
    }));
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${uuidFrom(items.map((i) => `${i.id}@${i.lastSeen}`).join('\n'))}`,
    version: 1,
    metadata: {
      timestamp: latest,
      tools: { components: [{ type: 'application', name: tool.name, version: tool.version }] },
      properties: [{ name: 'causeway:inventory:components', value: String(items.length) }],
    },
    components: models.map((m) => ({
      type: 'machine-learning-model',
      'bom-ref': ref(m),
      name: m.name,
      ...(m.provider ? { publisher: m.provider } : {}),
      properties: properties(m),
    })),
    services,
    dependencies,
  };
}

function service(i: InventoryItem, bomRef: string): Json {
  const endpoint = endpointOf(i);
  return {
    'bom-ref': bomRef,
    name: i.name,
    ...(i.version ? { version: i.version } : {}),
    ...(i.provider ? { provider: { name: i.provider } } : {}),
    ...(endpoint ? { endpoints: [endpoint] } : {}),
    properties: properties(i),
  };
}

/** A network-path reference (`//host:port`): the inventory knows host and port, not the scheme. */
function endpointOf(i: InventoryItem): string | undefined {
  const host = i.dnsName ?? i.endpointAddress;
  if (!host || !/^[A-Za-z0-9.:_-]+$/.test(host)) return undefined;
  const bracketed = host.includes(':') ? `[${host}]` : host;
  return `//${bracketed}${i.dstPort ? `:${i.dstPort}` : ''}`;
}

/** Everything the inventory knows that CycloneDX has no field for, as `causeway:` properties. */
function properties(i: InventoryItem): { name: string; value: string }[] {
  const p: [string, unknown][] = [
    ['causeway:component-type', i.type],
    ['causeway:cluster', i.cluster],
    ['causeway:namespace', i.namespace],
    ['causeway:workload', i.workloadKind && i.workloadName ? `${i.workloadKind}/${i.workloadName}` : i.workloadName],
    ['causeway:pods', i.pods.join(',')],
    ['causeway:service-name', i.serviceName],
    ['causeway:agent-name', i.agentName],
    ['causeway:agent-id', i.agentId],
    ['causeway:framework', i.framework],
    ['causeway:request-model', i.requestModel],
    ['causeway:response-models', i.responseModels.join(',')],
    ['causeway:api', i.api],
    ['causeway:endpoint-address', i.endpointAddress],
    ['causeway:defender-for-ai', i.defenderForAi === undefined ? undefined : String(i.defenderForAi)],
    ['causeway:mcp-server', i.mcpServerName],
    ['causeway:mcp-protocol-version', i.protocolVersion],
    ['causeway:transport', i.transport],
    ['causeway:first-seen', i.firstSeen],
    ['causeway:last-seen', i.lastSeen],
    ['causeway:observations', String(i.observations)],
    ['causeway:evidence-sources', i.sources.join(',')],
  ];
  return p
    .filter((x): x is [string, string] => typeof x[1] === 'string' && x[1] !== '')
    .map(([name, value]) => ({ name, value }));
}

function sameWorkload(a: InventoryItem, b: InventoryItem): boolean {
  return a.cluster === b.cluster && a.namespace === b.namespace && a.workloadName === b.workloadName;
}
