/**
 * The runtime AI-BOM of one workload-stage partition: every component observed (agents, models,
 * MCP servers, tools, AI endpoints), with first and last seen, the pods it was seen in and the
 * products that saw it. It writes a record when a component appears or one of its facts changes,
 * and a heartbeat when one is still observed a heartbeat interval after its last record: records
 * grow with components and time, never with events. Bounded (components and DNS answers are
 * count-bounded maps, evictions counted) and snapshotted with the stage.
 */
import { BoundedMap } from '../common/boundedMap.ts';
import { uuidFrom } from '../common/hash.ts';
import type { RuntimeEvent, WorkloadIdentity } from '../model/event.ts';
import { observationsOf, type ComponentFacts, type Observation } from './observations.ts';

/** One component as the book knows it. */
export interface Component extends Omit<Observation, 'identity' | 'responseModel'> {
  id: string;
  workload: Pick<WorkloadIdentity, 'cluster' | 'namespace' | 'workloadKind' | 'workloadName'>;
  responseModels: string[];
  pods: string[];
  sources: string[];
  firstSeen: number;
  lastSeen: number;
  observations: number;
  /** Event time of the component's latest record. */
  lastWritten: number;
}

/** A row to write: the component as it stands, why, and what changed. */
export interface InventoryRecord {
  time: number;
  recordType: 'new' | 'changed' | 'heartbeat';
  component: Component;
  changes?: Record<string, unknown>;
}

/** How the book is bounded and how often it beats. */
export interface InventoryOptions {
  maxComponents: number;
  maxDnsAnswers: number;
  heartbeatMs: number;
}

export const DEFAULT_INVENTORY_OPTIONS: InventoryOptions = {
  maxComponents: 2048,
  maxDnsAnswers: 1024,
  heartbeatMs: 3_600_000,
};

/** The serialised book (snapshot field of the workload stage). */
export interface InventorySnapshot {
  format: 'causeway.inventory/1';
  components: Component[];
  dns: [string, string][];
}

const MAX_PODS = 16;
const MAX_LIST = 8;
const FACTS: (keyof ComponentFacts)[] = [
  'version',
  'framework',
  'provider',
  'api',
  'protocolVersion',
  'transport',
  'defenderForAi',
];

export class InventoryBook {
  private components: BoundedMap<string, Component>;
  private dns: BoundedMap<string, string>;
  private pending: InventoryRecord[] = [];

  constructor(private readonly options: InventoryOptions = DEFAULT_INVENTORY_OPTIONS) {
    this.components = new BoundedMap(options.maxComponents);
    this.dns = new BoundedMap(options.maxDnsAnswers);
  }

  get size(): number {
    return this.components.size;
  }

  get evictions(): number {
    return this.components.evictions + this.dns.evictions;
  }

  /** Folds one event of the workload `key` in; records wait in `drain()`. */
  observe(key: string, e: RuntimeEvent): void {
    if (e.kind === 'dns.query' && e.network?.domain)
      for (const ip of e.network.addresses ?? []) this.dns.set(ip, e.network.domain);
    for (const o of observationsOf(e, (ip) => this.dns.get(ip))) this.fold(key, e, o);
  }

  /**
   * Heartbeats for components observed since their last row: those whose last row is a heartbeat
   * interval old at `now` (a timer tick), or all of them (`force`: end of input, a clean stop), so
   * the table's last seen is never older than one interval.
   */
  beat(now: number, force = false): this {
    for (const c of this.components.values()) {
      if (c.lastSeen <= c.lastWritten) continue;
      if (!force && now - c.lastWritten < this.options.heartbeatMs) continue;
      c.lastWritten = c.lastSeen;
      this.pending.push({ time: c.lastSeen, recordType: 'heartbeat', component: structuredClone(c) });
    }
    return this;
  }

  /** The records written since the last drain. */
  drain(): InventoryRecord[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  snapshot(): InventorySnapshot {
    return { format: 'causeway.inventory/1', components: [...this.components.values()], dns: this.dns.toArray() };
  }

  /** Restores a snapshot; entries that are not what the book writes are dropped (counted). */
  restore(s: InventorySnapshot | undefined): number {
    this.components = new BoundedMap(this.options.maxComponents);
    this.dns = new BoundedMap(this.options.maxDnsAnswers);
    if (!s || s.format !== 'causeway.inventory/1') return 0;
    let dropped = 0;
    for (const c of Array.isArray(s.components) ? s.components : []) {
      if (validComponent(c)) this.components.set(c.id, c);
      else dropped++;
    }
    for (const d of Array.isArray(s.dns) ? s.dns : []) {
      if (Array.isArray(d) && typeof d[0] === 'string' && typeof d[1] === 'string') this.dns.set(d[0], d[1]);
      else dropped++;
    }
    return dropped;
  }

  private fold(key: string, e: RuntimeEvent, o: Observation): void {
    const id = uuidFrom(`${key}|${o.type}|${o.identity}`);
    const known = this.components.get(id);
    if (!known) {
      const c = newComponent(id, e, o);
      this.components.set(id, c);
      this.pending.push({ time: e.time, recordType: 'new', component: structuredClone(c) });
      return;
    }
    const changes = update(known, e, o);
    if (changes) {
      known.lastWritten = Math.max(known.lastWritten, e.time);
      this.pending.push({ time: e.time, recordType: 'changed', component: structuredClone(known), changes });
    } else if (e.time - known.lastWritten >= this.options.heartbeatMs) {
      known.lastWritten = e.time;
      this.pending.push({ time: e.time, recordType: 'heartbeat', component: structuredClone(known) });
    }
  }
}

function newComponent(id: string, e: RuntimeEvent, o: Observation): Component {
  const { identity: _identity, responseModel, ...rest } = o;
  const w = e.workload;
  return {
    ...rest,
    facts: { ...o.facts },
    id,
    workload: {
      cluster: w.cluster,
      namespace: w.namespace,
      workloadKind: w.workloadKind,
      workloadName: w.workloadName ?? w.serviceName,
    },
    responseModels: responseModel ? [responseModel] : [],
    pods: w.pod ? [w.pod] : [],
    sources: [e.source.product],
    firstSeen: e.time,
    lastSeen: e.time,
    observations: 1,
    lastWritten: e.time,
  };
}

/** Folds an observation into a known component; returns the facts that changed (old values), if any. */
function update(c: Component, e: RuntimeEvent, o: Observation): Record<string, unknown> | undefined {
  c.observations++;
  if (e.time > c.lastSeen) c.lastSeen = e.time;
  if (e.time < c.firstSeen) c.firstSeen = e.time;
  addTo(c.pods, e.workload.pod, MAX_PODS);
  addTo(c.sources, e.source.product, MAX_LIST);
  // Descriptive but not identifying: the latest wins, silently (addresses rotate).
  if (o.endpointAddress) c.endpointAddress = o.endpointAddress;
  c.dnsName ??= o.dnsName;
  c.dstPort ??= o.dstPort;
  c.requestModel ??= o.requestModel;
  c.serviceName ??= o.serviceName;
  c.agentName ??= o.agentName;
  c.agentId ??= o.agentId;
  const w = e.workload;
  c.workload.namespace ??= w.namespace;
  c.workload.workloadKind ??= w.workloadKind;
  c.workload.workloadName ??= w.workloadName ?? w.serviceName;
  let changes: Record<string, unknown> | undefined;
  for (const f of FACTS) {
    const next = o.facts[f];
    if (next === undefined || next === c.facts[f]) continue;
    // A fact first learned is news only when the component already had a record without it.
    (changes ??= {})[f] = c.facts[f] ?? null;
    (c.facts as Record<string, unknown>)[f] = next;
  }
  if (o.responseModel && !c.responseModels.includes(o.responseModel) && c.responseModels.length < MAX_LIST) {
    (changes ??= {}).responseModels = [...c.responseModels];
    c.responseModels.push(o.responseModel);
  }
  return changes;
}

function addTo(list: string[], value: string | undefined, max: number): void {
  if (value !== undefined && list.length < max && !list.includes(value)) list.push(value);
}

function validComponent(c: unknown): c is Component {
  const x = c as Component;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof x.id === 'string' &&
    typeof x.type === 'string' &&
    typeof x.name === 'string' &&
    Number.isFinite(x.firstSeen) &&
    Number.isFinite(x.lastSeen) &&
    Number.isFinite(x.lastWritten) &&
    Array.isArray(x.pods) &&
    Array.isArray(x.sources) &&
    Array.isArray(x.responseModels) &&
    typeof x.facts === 'object' &&
    x.facts !== null &&
    typeof x.workload === 'object' &&
    x.workload !== null
  );
}
