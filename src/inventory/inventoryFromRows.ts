/**
 * The inventory back from `CausewayInventory_CL` rows (a local tables directory or a Log
 * Analytics export): the latest row per component, with its first seen kept from the earliest.
 */
import type { Row } from '../sinks/tables.ts';

/** One component as its latest row says. */
export interface InventoryItem {
  id: string;
  type: string;
  name: string;
  version?: string;
  cluster?: string;
  namespace?: string;
  workloadKind?: string;
  workloadName?: string;
  pods: string[];
  serviceName?: string;
  agentName?: string;
  agentId?: string;
  framework?: string;
  provider?: string;
  requestModel?: string;
  responseModels: string[];
  api?: string;
  endpointAddress?: string;
  dnsName?: string;
  dstPort?: number;
  defenderForAi?: boolean;
  mcpServerName?: string;
  protocolVersion?: string;
  transport?: string;
  firstSeen: string;
  lastSeen: string;
  observations: number;
  sources: string[];
}

/** Latest row per ComponentId, sorted by workload, type and name. */
export function inventoryFromRows(rows: readonly Row[]): InventoryItem[] {
  const latest = new Map<string, Row>();
  const first = new Map<string, string>();
  for (const row of rows) {
    const id = text(row.ComponentId);
    if (!id || !text(row.ComponentType) || !text(row.Name)) continue;
    const prev = latest.get(id);
    if (!prev || String(prev.TimeGenerated) <= String(row.TimeGenerated)) latest.set(id, row);
    const seen = text(row.FirstSeen);
    if (seen && (!first.has(id) || seen < first.get(id)!)) first.set(id, seen);
  }
  return [...latest.entries()]
    .map(([id, r]) => itemOf(id, r, first.get(id)))
    .sort(
      (a, b) =>
        (a.namespace ?? '').localeCompare(b.namespace ?? '') ||
        (a.workloadName ?? '').localeCompare(b.workloadName ?? '') ||
        a.type.localeCompare(b.type) ||
        a.name.localeCompare(b.name) ||
        (a.id < b.id ? -1 : 1),
    );
}

function itemOf(id: string, r: Row, firstSeen: string | undefined): InventoryItem {
  return {
    id,
    type: text(r.ComponentType)!,
    name: text(r.Name)!,
    version: text(r.Version),
    cluster: text(r.Cluster),
    namespace: text(r.Namespace),
    workloadKind: text(r.WorkloadKind),
    workloadName: text(r.WorkloadName),
    pods: strings(r.Pods),
    serviceName: text(r.ServiceName),
    agentName: text(r.AgentName),
    agentId: text(r.AgentId),
    framework: text(r.Framework),
    provider: text(r.Provider),
    requestModel: text(r.RequestModel),
    responseModels: strings(r.ResponseModels),
    api: text(r.Api),
    endpointAddress: text(r.EndpointAddress),
    dnsName: text(r.DnsName),
    dstPort: Number.isInteger(r.DstPortNumber) ? (r.DstPortNumber as number) : undefined,
    defenderForAi: typeof r.DefenderForAiCovered === 'boolean' ? r.DefenderForAiCovered : undefined,
    mcpServerName: text(r.McpServerName),
    protocolVersion: text(r.ProtocolVersion),
    transport: text(r.Transport),
    firstSeen: firstSeen ?? text(r.FirstSeen) ?? String(r.TimeGenerated),
    lastSeen: text(r.LastSeen) ?? String(r.TimeGenerated),
    observations: Number.isInteger(r.Observations) ? (r.Observations as number) : 0,
    sources: strings(r.EvidenceSources),
  };
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
