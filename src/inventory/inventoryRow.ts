/** Inventory records → `CausewayInventory_CL` rows (exactly the columns of schemas/tables). */
import { shape } from '../sinks/rows.ts';
import type { Row } from '../sinks/tables.ts';
import type { InventoryRecord } from './inventoryBook.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export function inventoryRow(r: InventoryRecord): Row {
  const c = r.component;
  return shape('CausewayInventory_CL', {
    TimeGenerated: iso(r.time),
    ComponentId: c.id,
    ComponentType: c.type,
    RecordType: r.recordType,
    Name: c.name,
    Version: c.facts.version,
    Cluster: c.workload.cluster,
    Namespace: c.workload.namespace,
    WorkloadKind: c.workload.workloadKind,
    WorkloadName: c.workload.workloadName,
    Pods: c.pods,
    ServiceName: c.serviceName,
    AgentName: c.agentName,
    AgentId: c.agentId,
    Framework: c.facts.framework,
    Provider: c.facts.provider,
    RequestModel: c.requestModel,
    ResponseModels: c.responseModels,
    Api: c.facts.api,
    EndpointAddress: c.endpointAddress,
    DnsName: c.dnsName,
    DstPortNumber: c.dstPort,
    DefenderForAiCovered: c.facts.defenderForAi,
    McpServerName: c.mcpServerName,
    ProtocolVersion: c.facts.protocolVersion,
    Transport: c.facts.transport,
    FirstSeen: iso(c.firstSeen),
    LastSeen: iso(c.lastSeen),
    Observations: c.observations,
    EvidenceSources: c.sources,
    Changes: r.changes ?? {},
  });
}
