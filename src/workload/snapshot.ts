/**
 * Snapshot of a workload partition: compact JSON (Maps and Sets as arrays), tagged with the last
 * offset folded in, so a new partition owner restores it and skips what it already contains.
 */
import type { InventorySnapshot } from '../inventory/inventoryBook.ts';
import type { Profile } from '../profiles/profile.ts';
import type { Edge, Signal } from '../model/episode.ts';
import type { RuntimeEvent, WorkloadIdentity } from '../model/event.ts';
import type { WorkloadRole } from '../signals/engine.ts';
import { protocolSnapshotOf, protocolStateOf, type ProtocolSnapshot } from '../signals/protocolBaselines.ts';
import { BoundedMap } from '../common/boundedMap.ts';
import { Ring } from '../common/ring.ts';
import { eventInWindow, inWindow, optionalInWindow, type TimeWindow, Pruner } from '../common/timeWindow.ts';
import { WorkloadState, type EpisodeState, type ProcNode, type StateLimits, type TaggedHit } from './state.ts';

export interface WorkloadSnapshot {
  format: 'causeway.workload-stage/1';
  watermark: number;
  lastOffset?: string;
  workloads: SerialWorkload[];
  /** The partition's runtime AI-BOM (absent in snapshots from before the inventory). */
  inventory?: InventorySnapshot;
}

interface SerialEpisode extends Omit<
  EpisodeState,
  | 'evidence'
  | 'edges'
  | 'signals'
  | 'processKeys'
  | 'traceIds'
  | 'sessionIds'
  | 'conversationIds'
  | 'agentNames'
  | 'toolNames'
  | 'clientIps'
  | 'endUsers'
  | 'servedBy'
> {
  evidence: RuntimeEvent[];
  edges: Edge[];
  signals: Signal[];
  processKeys: string[];
  traceIds: string[];
  sessionIds: string[];
  conversationIds: string[];
  agentNames: string[];
  toolNames: string[];
  clientIps: string[];
  endUsers: string[];
  servedBy?: string[];
}

interface SerialWorkload {
  key: string;
  identity: WorkloadIdentity;
  firstSeen: number;
  lastSeen: number;
  roles: WorkloadRole[];
  seen: [number, number][];
  processes: ProcNode[];
  buffers: [string, RuntimeEvent[]][];
  podIps: [string, string[]][];
  episodes: SerialEpisode[];
  tagged: TaggedHit[];
  firstSeenKeys: [string, number][];
  parked: [string, { since: number; events: RuntimeEvent[] }][];
  /** Behavioural profiles per container (absent in snapshots from before profiles). */
  profiles?: Profile[];
  /** Containers' main processes and the processes seen serving tool calls. */
  mainProcesses?: string[];
  serving?: [string, string[]][];
  orphanAlerts?: [string, { alert: RuntimeEvent; episodeId: string }[]][];
  orphanChildren?: [string, string[]][];
  orphanEffects?: [string, RuntimeEvent[]][];
  treeAlias?: [string, string][];
  /** Protocol-layer counters (absent when none, and in snapshots from before they were kept). */
  protocol?: ProtocolSnapshot;
  /** Episodes whose latest version is held back (emitPacing.ts): still to be written. */
  held?: string[];
}

export function snapshotWorkloads(
  workloads: BoundedMap<string, WorkloadState>,
  watermark: number,
  lastOffset: string | undefined,
): WorkloadSnapshot {
  return {
    format: 'causeway.workload-stage/1',
    watermark,
    lastOffset,
    workloads: workloads.toArray().map(([, w]) => ({
      key: w.key,
      identity: w.identity,
      firstSeen: w.firstSeen,
      lastSeen: w.lastSeen,
      roles: [...w.roles],
      seen: w.seen.toArray(),
      processes: w.processes.toArray().map(([, p]) => p),
      buffers: [...w.buffers].map(([pod, ring]) => [pod, ring.toArray()]),
      podIps: [...w.podIps].map(([pod, ips]) => [pod, [...ips]]),
      episodes: w.episodes.toArray().map(([, e]) => ({
        ...e,
        facets: undefined,
        evidence: [...e.evidence.values()],
        edges: [...e.edges.values()],
        signals: [...e.signals.values()],
        processKeys: [...e.processKeys],
        traceIds: [...e.traceIds],
        sessionIds: [...e.sessionIds],
        conversationIds: [...e.conversationIds],
        agentNames: [...e.agentNames],
        toolNames: [...e.toolNames],
        clientIps: [...e.clientIps],
        endUsers: [...e.endUsers],
        servedBy: e.servedBy ? [...e.servedBy] : undefined,
      })),
      tagged: w.tagged,
      firstSeenKeys: w.firstSeenKeys.toArray(),
      parked: [...w.parked],
      profiles: w.profiles.all(),
      mainProcesses: [...w.mainProcesses],
      serving: [...w.serving].map(([c, keys]) => [c, [...keys]]),
      orphanAlerts: [...w.orphanAlerts],
      orphanChildren: [...w.orphanChildren],
      orphanEffects: [...w.orphanEffects],
      treeAlias: [...w.treeAlias],
      protocol: protocolSnapshotOf(w),
      held: w.dirty.size ? [...w.dirty] : undefined,
    })),
  };
}

export function restoreWorkloads(
  snapshot: WorkloadSnapshot,
  limits: StateLimits,
  maxWorkloads: number,
  onEvict?: (key: string, w: WorkloadState) => void,
): { workloads: BoundedMap<string, WorkloadState>; watermark: number; lastOffset?: string } {
  if (snapshot.format !== 'causeway.workload-stage/1')
    throw new Error(`unknown workload snapshot format ${String(snapshot.format)}`);
  const workloads = new BoundedMap<string, WorkloadState>(maxWorkloads, onEvict);
  for (const s of snapshot.workloads) {
    const w = new WorkloadState(s.key, s.identity, s.firstSeen, limits);
    w.lastSeen = s.lastSeen;
    for (const r of s.roles) w.roles.add(r);
    for (const [k, t] of s.seen) w.seen.set(k, t);
    for (const p of s.processes) w.addProcess(p);
    w.exited = s.processes
      .filter((p) => p.exited !== undefined)
      .map((p) => ({ key: p.key, at: p.exited! }))
      .sort((a, b) => a.at - b.at);
    for (const [pod, events] of s.buffers) w.buffers.set(pod, Ring.from(events, limits.maxBuffered));
    for (const [pod, ips] of s.podIps) w.podIps.set(pod, new Set(ips));
    for (const e of s.episodes) {
      const ep: EpisodeState = {
        ...e,
        evidence: new Map(e.evidence.map((x) => [x.id, x])),
        edges: new Map(e.edges.map((x) => [`${x.from}>${x.to}>${x.reason}`, x])),
        signals: new Map(e.signals.map((x) => [x.id, x])),
        processKeys: new Set(e.processKeys),
        traceIds: new Set(e.traceIds),
        sessionIds: new Set(e.sessionIds),
        conversationIds: new Set(e.conversationIds),
        agentNames: new Set(e.agentNames),
        toolNames: new Set(e.toolNames),
        clientIps: new Set(e.clientIps),
        endUsers: new Set(e.endUsers),
        servedBy: e.servedBy ? new Set(e.servedBy) : undefined,
      };
      w.episodes.set(ep.id, ep);
      if (ep.kind === 'tool') w.toolEpisodes++;
      if (ep.rootKey !== undefined) w.treeEpisodes++;
      for (const k of ep.processKeys) w.ownEpisode(k, ep.id);
    }
    w.tagged = s.tagged;
    for (const [k, t] of s.firstSeenKeys) w.firstSeenKeys.set(k, t);
    for (const [k, v] of s.parked) {
      w.parked.set(k, v);
      for (const e of v.events) if (e.kind === 'process.exec' && e.process) w.parkedProcesses.add(e.process.key);
    }
    w.profiles.restore(s.profiles ?? []);
    for (const k of s.mainProcesses ?? []) w.mainProcesses.add(k);
    for (const [c, keys] of s.serving ?? []) w.serving.set(c, new Set(keys));
    w.orphanAlerts = new Map(s.orphanAlerts ?? []);
    w.orphanChildren = new Map(s.orphanChildren ?? []);
    w.orphanEffects = new Map(s.orphanEffects ?? []);
    w.treeAlias = new Map(s.treeAlias ?? []);
    if (s.protocol) protocolStateOf(w).restore(s.protocol);
    for (const id of s.held ?? []) if (w.episodes.has(id)) w.dirty.add(id);
    workloads.set(s.key, w);
  }
  return { workloads, watermark: snapshot.watermark, lastOffset: snapshot.lastOffset };
}

/**
 * Drops from a snapshot, before it is restored, every value no stage could have produced: a time
 * outside the sane range (stage ① rejects those, so one here was written by an older version or
 * altered at rest). What goes is counted, so a poisoned snapshot costs its bad values once instead
 * of failing every batch after every restart. Returns how many values were dropped.
 */
export function sanitiseWorkloadSnapshot(snapshot: WorkloadSnapshot, window: TimeWindow): number {
  const pruner = new Pruner();
  const keep = pruner.keep.bind(pruner);
  snapshot.watermark = pruner.watermark(snapshot.watermark, window);
  snapshot.workloads = keep(snapshot.workloads, (w) => inWindow(w.firstSeen, window) && inWindow(w.lastSeen, window));
  for (const w of snapshot.workloads) {
    w.seen = keep(w.seen, ([, t]) => inWindow(t, window));
    w.processes = keep(
      w.processes,
      (p) =>
        inWindow(p.start, window) &&
        optionalInWindow(p.exited, window) &&
        optionalInWindow(p.lastActive, window) &&
        (p.exec === undefined || eventInWindow(p.exec, window)),
    );
    for (const p of w.processes) if (p.effects) p.effects = keep(p.effects, (e) => eventInWindow(e, window));
    for (const entry of w.orphanEffects ?? []) entry[1] = keep(entry[1], (e) => eventInWindow(e, window));
    for (const entry of w.orphanAlerts ?? []) entry[1] = keep(entry[1], (o) => eventInWindow(o.alert, window));
    for (const buffer of w.buffers ?? []) buffer[1] = keep(buffer[1], (e) => eventInWindow(e, window));
    w.episodes = keep(
      w.episodes,
      (e) => inWindow(e.start, window) && inWindow(e.end, window) && optionalInWindow(e.lastActive, window),
    );
    for (const e of w.episodes) {
      e.evidence = keep(e.evidence, (x) => eventInWindow(x, window));
      e.signals = keep(e.signals, (s) => inWindow(s.time, window));
    }
    // Shapes are checked when the counters are restored (ProtocolState.restore); times here.
    for (const entry of Array.isArray(w.protocol?.bursts) ? w.protocol.bursts : []) {
      const burst = Array.isArray(entry) ? (entry[1] as { hits?: unknown } | null) : undefined;
      if (burst && Array.isArray(burst.hits))
        burst.hits = keep(burst.hits as unknown[], (h) => !Array.isArray(h) || inWindow(h[0] as number, window));
    }
    w.tagged = keep(w.tagged, (t) => inWindow(t.time, window));
    w.firstSeenKeys = keep(w.firstSeenKeys, ([, t]) => inWindow(t, window));
    w.parked = keep(w.parked, ([, v]) => inWindow(v.since, window));
    for (const [, v] of w.parked) v.events = keep(v.events, (e) => eventInWindow(e, window));
    w.profiles = keep(w.profiles, (p) =>
      [
        p.learningStartedAt,
        p.learningEndsAt,
        p.coverage?.firstEvent,
        p.coverage?.lastEvent,
        p.coverage?.watchedUntil,
      ].every((t) => optionalInWindow(t, window)),
    );
  }
  return pruner.dropped;
}
