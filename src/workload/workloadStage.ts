/**
 * Stage ② (stateful, heavy): "what happened in this workload". One instance per partition of the
 * `workload-events` stream. Per workload it keeps process lineage (exec_id, or node+container+
 * pid+start; never pid alone), attributes processes and their file/network activity to the MCP
 * tool call that caused them (ran-in-tool), evaluates signals, and reduces everything to episodes
 * for the story stage. Pure over its inputs: time is event time, never the wall clock.
 */
import { baselineKey, ProfileBook, type ProfileRecord } from '../profiles/learner.ts';
import { mergeProfiles, type Profile } from '../profiles/profile.ts';
import type { Episode, KeyedEpisode, KeyedEvent } from '../model/episode.ts';
import type { RoutineKind, RuntimeEvent } from '../model/event.ts';
import { count, emptyReport, type BatchReport } from '../common/report.ts';
import type { SignalEngine } from '../signals/engine.ts';
import { BoundedMap } from '../common/boundedMap.ts';
import { isPrivateIp } from '../common/ipAddress.ts';
import { hash53 } from '../common/hash.ts';
import { attribute } from './attribution.ts';
import { pendingVersion, toEpisode } from './episodes.ts';
import { markEmitted, onlyRepeats } from './emitPacing.ts';
import { expire } from './expiry.ts';
import { parkIfWaiting, releaseAll, releaseExpired, releaseWaitingOn, type ParkingEnv } from './parking.ts';
import { evaluate, type FilingEnv } from './signalFiling.ts';
import { adoptOrphanEffects, growTree, rememberEffect } from './processTrees.ts';
import { adoptOrphanAlerts, adoptOrphans, joinEarlierEpisode, rememberOrphan } from './lateArrivals.ts';
import { claimLateChildren } from './lateChildren.ts';
import { ROUTINE_KINDS } from '../profiles/routine.ts';
import { isService, looksLikeMcpServer, RUNTIME_PARENT } from './lineage.ts';
import { resolveContainerId } from './containerIds.ts';
import { restoreWorkloads, snapshotWorkloads, type WorkloadSnapshot } from './snapshot.ts';
import { handleSpan } from './spans.ts';
import { WorkloadState, type EpisodeState, type ProcNode, type StateLimits } from './state.ts';
import { InventoryBook, type InventoryRecord } from '../inventory/inventoryBook.ts';

/** How a workload stage partition is configured (one instance per partition). */
export interface WorkloadStageOptions {
  signals: SignalEngine;
  /** How far behind the partition's latest event time a workload's own time may lag. */
  allowedLatenessMs: number;
  /** How long a container is watched before first-seen and profile rules fire. */
  learningPeriodMs: number;
  /** How long (event time) an event waits for the process it names before going on with a gap. */
  parkingTimeoutMs: number;
  /** Parked events per workload. */
  maxParked: number;
  maxWorkloads: number;
  limits: StateLimits;
  /** Imported baselines (Kubescape), used instead of learning for their containers. */
  baselines?: readonly Profile[];
  /** Told of a fault on one event (a bug): the event is counted errored, its neighbours go on. */
  onFault?: (error: unknown, eventId: string) => void;
}

/** What one batch, tick or flush gives: changed episodes, profile rows and the batch report. */
export interface WorkloadStageOutput {
  episodes: KeyedEpisode[];
  /** Profiles that completed learning and deviations from them (CausewayProfiles_CL). */
  profiles: ProfileRecord[];
  /** Runtime AI-BOM records: components that appeared or changed, heartbeats (CausewayInventory_CL). */
  inventory: InventoryRecord[];
  report: BatchReport;
}

/**
 * One partition of stage ②. The flow per event: dedupe, park or accept, handle (lineage, span,
 * attribution, signals), and at the end of the batch emit the episodes that changed. Parking,
 * attribution, signal filing and expiry are plain functions over the workload's state.
 */
export class WorkloadStage {
  private workloads: BoundedMap<string, WorkloadState>;
  private watermark = 0;
  /** Highest offset folded into this state (snapshot tag). */
  lastOffset: string | undefined;
  private readonly baselines: ReadonlyMap<string, Profile>;
  private readonly parking: ParkingEnv;
  private readonly filing: FilingEnv;
  private inventory = new InventoryBook();
  /** Workloads evicted since the last emit: their changed and held episodes are still written. */
  private evicted: WorkloadState[] = [];
  private readonly onEvicted = (_key: string, w: WorkloadState) => void this.evicted.push(w);

  constructor(private readonly options: WorkloadStageOptions) {
    const baselines = new Map<string, Profile>();
    for (const p of options.baselines ?? []) {
      const key = baselineKey(p.identity.namespace, p.identity.workloadName, p.identity.container);
      const known = baselines.get(key);
      baselines.set(key, known ? mergeProfiles(structuredClone(known), p) : p);
    }
    this.baselines = baselines;
    this.workloads = new BoundedMap(options.maxWorkloads, this.onEvicted);
    this.parking = {
      parkingTimeoutMs: options.parkingTimeoutMs,
      maxParked: options.maxParked,
      parkedIn: new Set(),
      handle: (w, event, gap) => this.handle(w, event, gap),
      timeOf: (w) => this.timeOf(w),
    };
    this.filing = {
      signals: options.signals,
      learningPeriodMs: options.learningPeriodMs,
      afterTags: new Set(options.signals.rules.flatMap((r) => r.def.condition?.after?.tags ?? [])),
      allowedLatenessMs: options.allowedLatenessMs,
    };
  }

  get stats(): { workloads: number; evictions: number; parked: number } {
    let evictions = this.workloads.evictions;
    let parked = 0;
    for (const w of this.workloads.values()) {
      evictions += w.evictions;
      for (const p of w.parked.values()) parked += p.events.length;
    }
    return { workloads: this.workloads.size, evictions, parked };
  }

  process(batch: readonly KeyedEvent[], offset?: string): WorkloadStageOutput {
    const report = emptyReport();
    const touched = new Set<WorkloadState>();
    for (const { key, event } of batch) {
      if (event.time > this.watermark) this.watermark = event.time;
      const w = this.workload(key, event);
      resolveContainerId(w, event);
      touched.add(w);
      const seenKey = hash53(event.id);
      if (w.seen.has(seenKey)) {
        count(report, 'dropped', 'duplicate');
        continue;
      }
      w.seen.set(seenKey, event.time);
      // One event's fault costs that event, not the batch and not the partition's state.
      try {
        this.inventory.observe(key, event);
        this.accept(w, event);
        count(report, 'delivered', 'ok');
      } catch (e) {
        count(report, 'errored', 'stage-failed');
        this.options.onFault?.(e, event.id);
      }
    }
    for (const w of this.parking.parkedIn) if (releaseExpired(w, this.parking)) touched.add(w);
    if (offset !== undefined) this.lastOffset = offset;
    const profiles = this.profileRecords(touched);
    return { episodes: this.emit(touched), profiles, inventory: this.inventory.drain(), report };
  }

  /** Advances event time without input (idle partitions), releasing parked children and expiring state. */
  tick(now: number): WorkloadStageOutput {
    if (now > this.watermark) this.watermark = now;
    const touched = new Set<WorkloadState>();
    for (const w of this.workloads.values()) {
      if (now > w.lastSeen) w.lastSeen = now;
      if (releaseExpired(w, this.parking) || w.dirty.size) touched.add(w);
      expire(w, this.timeOf(w), this.options.allowedLatenessMs, true);
      w.profiles.tick(this.timeOf(w));
    }
    return {
      episodes: this.emit(touched, true),
      profiles: this.profileRecords(this.workloads.values()),
      inventory: this.inventory.beat(this.watermark).drain(),
      report: emptyReport(),
    };
  }

  /** Releases every parked event (end of a replay): they go on with the gap recorded. */
  flush(): WorkloadStageOutput {
    const touched = new Set<WorkloadState>();
    for (const w of this.workloads.values()) {
      releaseAll(w, this.parking);
      touched.add(w);
    }
    const profiles = this.profileRecords(touched);
    const inventory = this.inventory.beat(this.watermark, true).drain();
    return { episodes: this.emit(touched, true), profiles, inventory, report: emptyReport() };
  }

  snapshot(): WorkloadSnapshot {
    return {
      ...snapshotWorkloads(this.workloads, this.watermark, this.lastOffset),
      inventory: this.inventory.snapshot(),
    };
  }

  restore(snapshot: WorkloadSnapshot): void {
    const restored = restoreWorkloads(snapshot, this.options.limits, this.options.maxWorkloads, this.onEvicted);
    this.workloads = restored.workloads;
    for (const w of this.workloads.values()) {
      const learned = w.profiles.all();
      w.profiles = new ProfileBook(this.options.learningPeriodMs, this.baselines);
      w.profiles.restore(learned);
    }
    this.parking.parkedIn.clear();
    for (const w of this.workloads.values()) if (w.parked.size) this.parking.parkedIn.add(w);
    this.watermark = restored.watermark;
    this.lastOffset = restored.lastOffset;
    this.inventory.restore(snapshot.inventory);
  }

  private workload(key: string, event: RuntimeEvent): WorkloadState {
    let w = this.workloads.get(key);
    if (!w) {
      w = new WorkloadState(key, event.workload, event.time, this.options.limits);
      w.profiles = new ProfileBook(this.options.learningPeriodMs, this.baselines);
      this.workloads.set(key, w);
    } else {
      const id = w.identity as Record<string, unknown>;
      const e = event.workload as Record<string, unknown>;
      // Keep the richest identity seen (spans rarely carry the image, sensors rarely the service).
      for (const k in e) if (id[k] === undefined && e[k] !== undefined) id[k] = e[k];
      if (event.time < w.firstSeen) w.firstSeen = event.time;
    }
    if (event.time > w.lastSeen) w.lastSeen = event.time;
    return w;
  }

  /** An event goes on now, or waits in the parking area for the process it names. */
  private accept(w: WorkloadState, event: RuntimeEvent): void {
    if (parkIfWaiting(w, event, this.parking)) return;
    this.handle(w, event);
    if (event.kind === 'process.exec' && event.process) releaseWaitingOn(w, event, false, this.parking);
  }

  /**
   * A workload's event time: its own latest event, so one busy workload in the partition does not
   * age out another's state (sensors on different nodes lag differently), but never further behind
   * the partition than the allowed lateness, so a workload gone quiet still expires.
   */
  private timeOf(w: WorkloadState): number {
    return Math.max(w.lastSeen, this.watermark - this.options.allowedLatenessMs);
  }

  /** Drains the profile rows of these workloads. */
  private profileRecords(workloads: Iterable<WorkloadState>): ProfileRecord[] {
    const out: ProfileRecord[] = [];
    for (const w of workloads) {
      if (!w.profiles.records.length) continue;
      out.push(...w.profiles.records);
      w.profiles.records = [];
    }
    return out;
  }

  /** Folds one event into the workload; `parentGap` records that it waited for a parent that never came. */
  private handle(w: WorkloadState, event: RuntimeEvent, parentGap = false): void {
    // Every event that carries a process teaches the profile, exits and HTTP client calls included.
    w.profiles.see(event, w.firstSeen, this.timeOf(w));
    if (event.kind === 'http.request') return;
    if (event.layer === 'network' || event.layer === 'file') markRoutine(w, event);
    const pod = podOf(event);
    const p = event.process;
    if (p?.parentBinary !== undefined && RUNTIME_PARENT.test(p.parentBinary))
      w.addMainProcess(p.key, event.workload.containerId);
    let lateChildren: ProcNode[] = [];
    if (event.kind === 'process.exec' && p) {
      const node = newProcess(w, event, pod);
      w.addProcess(node);
      adoptOrphanEffects(w, node);
      rememberOrphan(w, node, event);
      lateChildren = adoptOrphans(w, node);
    } else if (event.kind === 'process.exit' && p) {
      const node = w.processes.get(p.key);
      if (node) {
        node.exited = event.time;
        w.exited.push({ key: p.key, at: event.time });
      }
      return;
    }
    if (p && event.kind !== 'process.exec') {
      const node = w.processes.get(p.key);
      if (node && event.time > (node.lastActive ?? node.start)) node.lastActive = event.time;
    }
    recordPodIp(w, event, pod);
    if (event.trace) return handleSpan(w, event, pod, this.filing);
    if (event.layer === 'process' || event.layer === 'file' || event.layer === 'network' || event.layer === 'alert')
      w.buffer(pod).push(event);
    const episodes = attribute(w, event, pod, parentGap);
    if (lateChildren.length) claimLateChildren(w, episodes, lateChildren, pod, this.filing);
    rememberEffect(w, event);
    growTree(w, event);
    evaluate(w, event, pod, episodes, this.filing);
    if (event.kind === 'process.exec') {
      adoptOrphanAlerts(w, event, pod);
      const node = w.processes.get(event.process!.key);
      if (node) joinEarlierEpisode(w, node);
    }
  }

  /**
   * The new version of every changed episode of these workloads, then an expiry pass. A large
   * episode that only grew by repeats stays pending (emitPacing.ts) unless `all` (tick, flush).
   */
  private emit(touched: Set<WorkloadState>, all = false): KeyedEpisode[] {
    const out: KeyedEpisode[] = [];
    // What eviction pushed out is written whatever pacing would say: it will not be seen again.
    for (const w of this.evicted.splice(0)) {
      for (const id of [...w.dirty].sort()) emitEpisode(w, w.episodes.get(id), true, out);
      for (const ep of w.evictedDirty.splice(0)) emitEpisode(w, ep, true, out);
    }
    for (const w of touched) {
      for (const ep of w.evictedDirty.splice(0)) emitEpisode(w, ep, true, out);
      for (const id of [...w.dirty].sort()) if (emitEpisode(w, w.episodes.get(id), all, out)) w.dirty.delete(id);
      expire(w, this.timeOf(w), this.options.allowedLatenessMs);
    }
    return out;
  }
}

/**
 * Writes the episode's pending version into `out`; false when it is held (emitPacing.ts) and
 * stays pending. `all` writes a held version too.
 */
function emitEpisode(w: WorkloadState, ep: EpisodeState | undefined, all: boolean, out: KeyedEpisode[]): boolean {
  const version = ep && pendingVersion(ep, w);
  if (!ep || version === undefined) return true;
  if (!all && onlyRepeats(ep, version)) return false;
  markEmitted(ep, version);
  const episode: Episode = toEpisode(ep, w, version);
  out.push({ key: episode.cluster, episode });
  return true;
}

/**
 * A process as it starts: its tree root (lineage.treeRoot, fixed now) and whether it is a stdio MCP
 * server (a child of the container's main process that looks like one).
 */
function newProcess(w: WorkloadState, exec: RuntimeEvent, pod: string): ProcNode {
  const p = exec.process!;
  const parent = p.parentKey ? w.processes.get(p.parentKey) : undefined;
  const node: ProcNode = {
    key: p.key,
    parentKey: p.parentKey,
    pid: p.pid,
    containerId: exec.workload.containerId,
    pod,
    start: exec.time,
    exec,
  };
  if (p.parentKey !== undefined && w.mainProcesses.has(p.parentKey) && looksLikeMcpServer(p.commandLine)) {
    node.mcpServer = true;
    node.service = true;
  }
  node.rootKey = parent && !isService(w, parent, exec.time) ? (parent.rootKey ?? parent.key) : p.key;
  return node;
}

/** Records on the event what its container's baseline holds, for story-scope rules and the analyst. */
function markRoutine(w: WorkloadState, event: RuntimeEvent): void {
  let kinds: RoutineKind[] | undefined;
  for (const k of ROUTINE_KINDS) if (w.profiles.routine(k, event) === 'routine') (kinds ??= []).push(k);
  if (kinds) event.routine = kinds;
}

function podOf(event: RuntimeEvent): string {
  return event.workload.pod ?? event.workload.containerId?.slice(0, 12) ?? '-';
}

/** Addresses the pod is seen using (k8s.pod.ip, or a private source address of its connections). */
function recordPodIp(w: WorkloadState, event: RuntimeEvent, pod: string): void {
  const ip =
    event.workload.podIp ??
    (event.kind === 'network.connect' && event.network?.srcIp && isPrivateIp(event.network.srcIp)
      ? event.network.srcIp
      : undefined);
  if (!ip) return;
  let set = w.podIps.get(pod);
  if (!set) w.podIps.set(pod, (set = new Set()));
  if (set.size < 8) set.add(ip);
}
