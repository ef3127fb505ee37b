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
import type { RuntimeEvent } from '../model/event.ts';
import { count, emptyReport, type BatchReport } from '../common/report.ts';
import type { SignalEngine, WorkloadRole } from '../signals/engine.ts';
import { BoundedMap } from '../common/boundedMap.ts';
import {
  addEdge,
  addEvidence,
  addSignal,
  edge,
  NO_EPISODES,
  pendingVersion,
  reasonFor,
  toEpisode,
  toolEpisodeId,
  turnEpisodeId,
} from './episodes.ts';
import { evaluate, type FilingEnv } from './signalFiling.ts';
import { newEpisodeState, WorkloadState, type EpisodeState, type StateLimits } from './state.ts';
import { expire } from './expiry.ts';
import { processForAlert } from './lineage.ts';
import { parkIfWaiting, releaseAll, releaseExpired, releaseWaitingOn, type ParkingEnv } from './parking.ts';
import { restoreWorkloads, snapshotWorkloads, type WorkloadSnapshot } from './snapshot.ts';
import { isPrivateIp } from '../common/ipAddress.ts';
import { hash53 } from '../common/hash.ts';

export interface WorkloadStageOptions {
  signals: SignalEngine;
  allowedLatenessMs: number;
  learningPeriodMs: number;
  parkingTimeoutMs: number;
  maxParked: number;
  maxWorkloads: number;
  limits: StateLimits;
  /** Imported baselines (Kubescape), used instead of learning for their containers. */
  baselines?: readonly Profile[];
}

export interface WorkloadStageOutput {
  episodes: KeyedEpisode[];
  /** Profiles that completed learning and deviations from them (CausewayProfiles_CL). */
  profiles: ProfileRecord[];
  report: BatchReport;
}

/** Slack around a tool span: kernel and span clocks differ by a few milliseconds. */
const SPAN_SLACK_MS = 250;

const ROLE_AGENT: WorkloadRole = 'agent';
const ROLE_MCP: WorkloadRole = 'mcp-server';

export class WorkloadStage {
  private workloads: BoundedMap<string, WorkloadState>;
  private readonly parking: ParkingEnv;
  private watermark = 0;
  /** Highest offset folded into this state (snapshot tag). */
  lastOffset: string | undefined;
  private readonly filing: FilingEnv;

  private readonly baselines: ReadonlyMap<string, Profile>;

  constructor(private readonly options: WorkloadStageOptions) {
    const baselines = new Map<string, Profile>();
    for (const p of options.baselines ?? []) {
      const key = baselineKey(p.identity.namespace, p.identity.workloadName, p.identity.container);
      const known = baselines.get(key);
      baselines.set(key, known ? mergeProfiles(structuredClone(known), p) : p);
    }
    this.baselines = baselines;
    this.workloads = new BoundedMap(options.maxWorkloads);
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
      touched.add(w);
      const seenKey = hash53(event.id);
      if (w.seen.has(seenKey)) {
        count(report, 'dropped', 'duplicate');
        continue;
      }
      w.seen.set(seenKey, event.time);
      this.accept(w, event);
      count(report, 'delivered', 'ok');
    }
    for (const w of this.parking.parkedIn) if (releaseExpired(w, this.parking)) touched.add(w);
    if (offset !== undefined) this.lastOffset = offset;
    return { episodes: this.emit(touched), profiles: this.profileRecords(touched), report };
  }

  /** Advances event time without input (idle partitions), releasing parked children and expiring state. */
  tick(now: number): WorkloadStageOutput {
    if (now > this.watermark) this.watermark = now;
    const touched = new Set<WorkloadState>();
    for (const w of this.workloads.values()) {
      if (now > w.lastSeen) w.lastSeen = now;
      if (releaseExpired(w, this.parking)) touched.add(w);
      expire(w, this.timeOf(w), this.options.allowedLatenessMs, true);
      w.profiles.tick(this.timeOf(w));
    }
    return {
      episodes: this.emit(touched),
      profiles: this.profileRecords(this.workloads.values()),
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
    return { episodes: this.emit(touched), profiles: this.profileRecords(touched), report: emptyReport() };
  }

  snapshot(): WorkloadSnapshot {
    return snapshotWorkloads(this.workloads, this.watermark, this.lastOffset);
  }

  restore(snapshot: WorkloadSnapshot): void {
    const restored = restoreWorkloads(snapshot, this.options.limits, this.options.maxWorkloads);
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
  }

  private workload(key: string, event: RuntimeEvent): WorkloadState {
    let w = this.workloads.get(key);
    if (!w) {
      w = new WorkloadState(key, event.workload, event.time, this.options.limits);
      w.profiles = new ProfileBook(this.options.learningPeriodMs, this.baselines);
      this.workloads.set(key, w);
    } else {
      const id = w.identity;
      const e = event.workload;
      // Keep the richest identity seen (spans rarely carry the image, sensors rarely the service).
      for (const k of Object.keys(e) as (keyof typeof e)[])
        if (id[k] === undefined && e[k] !== undefined) (id as Record<string, unknown>)[k] = e[k];
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

  private handle(w: WorkloadState, event: RuntimeEvent, parentGap = false): void {
    const pod = podOf(event);
    const p = event.process;
    if (event.kind === 'process.exec' && p) {
      w.addProcess({
        key: p.key,
        parentKey: p.parentKey,
        pid: p.pid,
        containerId: event.workload.containerId,
        pod,
        start: event.time,
        exec: event,
      });
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
    w.profiles.see(event, w.firstSeen, this.timeOf(w));
    this.recordPodIp(w, event, pod);
    if (event.trace) return this.handleSpan(w, event, pod);
    if (event.layer === 'process' || event.layer === 'file' || event.layer === 'network' || event.layer === 'alert')
      w.buffer(pod).push(event);
    const episodes = this.attribute(w, event, pod, parentGap);
    evaluate(w, event, pod, episodes, this.filing);
  }

  private recordPodIp(w: WorkloadState, event: RuntimeEvent, pod: string): void {
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

  /** Spans: MCP server tool calls open tool episodes; agent spans build agent-turn episodes. */
  private handleSpan(w: WorkloadState, event: RuntimeEvent, pod: string): void {
    const t = event.trace!;
    const isServer = t.spanKind === 'SERVER';
    if (event.kind === 'mcp.request' && isServer) w.roles.add(ROLE_MCP);
    else w.roles.add(ROLE_AGENT);
    // ran-in-tool is anchored on the MCP server span (DESIGN §4); tools an agent runs in-process
    // show up as the agent's own processes (CW-SHELL-IN-AGENT and friends).
    const isMcpToolCall =
      event.kind === 'mcp.request' &&
      isServer &&
      (t.mcpMethod === 'tools/call' || (!!t.toolName && !t.mcpMethod?.includes('/')));
    if (isMcpToolCall) this.openToolEpisode(w, event, pod);
    if (!(event.kind === 'mcp.request' && isServer) && t.traceId) this.addToTurn(w, event, pod);
    // Signals on spans (new tool for agent, risk jump) belong to the turn.
    const turn = t.traceId ? w.episodes.get(turnEpisodeId(w, t.traceId)) : undefined;
    const owners = turn ? [turn] : isMcpToolCall ? [w.episodes.get(toolEpisodeId(w, event))!] : [];
    evaluate(w, event, pod, owners, this.filing);
  }

  private addToTurn(w: WorkloadState, event: RuntimeEvent, pod: string): void {
    const t = event.trace!;
    const id = turnEpisodeId(w, t.traceId!);
    let turn = w.episodes.get(id);
    if (!turn) w.episodes.set(id, (turn = newEpisodeState(id, 'agent-turn', pod, event.time)));
    addEvidence(turn, event, w.limits.maxEvidence, true);
    // `called`: parent span → child span within the turn (invoke_agent → execute_tool → MCP client).
    for (const other of turn.evidence.values()) {
      if (other.trace?.spanId && other.trace.spanId === t.parentSpanId)
        addEdge(turn, edge(other.id, event.id, 'called', `span ${t.parentSpanId} → ${t.spanId}`));
      if (other.trace?.parentSpanId && other.trace.parentSpanId === t.spanId)
        addEdge(turn, edge(event.id, other.id, 'called', `span ${t.spanId} → ${other.trace.spanId}`));
    }
    turn.lastActive = event.time;
    w.dirty.add(id);
  }

  private openToolEpisode(w: WorkloadState, span: RuntimeEvent, pod: string): void {
    const id = toolEpisodeId(w, span);
    let ep = w.episodes.get(id);
    if (!ep) {
      ep = newEpisodeState(id, 'tool', pod, span.trace?.startTime ?? span.time);
      ep.containerId = span.workload.containerId;
      ep.spanEventId = span.id;
      w.episodes.set(id, ep);
      w.toolEpisodes++;
    }
    addEvidence(ep, span, w.limits.maxEvidence, true);
    ep.start = span.trace?.startTime ?? span.time;
    ep.end = Math.max(ep.end, span.trace?.endTime ?? span.time);
    ep.lastActive = span.time;
    w.dirty.add(id);
    // Kernel events usually arrive before the span (it is exported when the call ends): attribute
    // what the pod's buffer already holds, in time order, then re-check tool-context rules.
    const from = ep.start - SPAN_SLACK_MS;
    const buffered = w
      .buffer(pod)
      .toArray()
      .filter((e) => e.time >= from)
      .sort((a, b) => a.time - b.time);
    for (const e of buffered) {
      const before = ep.evidence.has(e.id);
      const owners = this.attribute(w, e, pod, false, ep);
      if (before || !owners.includes(ep)) continue;
      // Signals raised before the span arrived now belong to the tool call too (the story stage
      // joins the episodes that share them), and tool-context rules get their answer.
      for (const other of w.episodes.values()) {
        if (other === ep || other.kind !== 'signal' || !other.evidence.has(e.id)) continue;
        for (const s of other.signals.values()) if (s.eventId === e.id) addSignal(ep, s, e, w.limits.maxEvidence);
      }
      evaluate(w, e, pod, owners, this.filing, true);
    }
  }

  /**
   * ran-in-tool: which tool episodes own this event. A process belongs to a tool call when it
   * started inside the call's window in the same pod, or descends from one that did; file and
   * network events belong to their process's episodes, or to a call whose window they fall in.
   */
  private attribute(
    w: WorkloadState,
    event: RuntimeEvent,
    pod: string,
    parentGap: boolean,
    only?: EpisodeState,
  ): readonly EpisodeState[] {
    if (!only && w.toolEpisodes === 0) return NO_EPISODES;
    const owners: EpisodeState[] = [];
    const p = event.process;
    const max = w.limits.maxEvidence;
    const candidates = only ? [only] : this.toolEpisodesFor(w, event, pod);
    // An alert names its process by pid: resolve it to the process we know.
    const alerted = event.kind === 'alert' ? processForAlert(w, event) : undefined;
    for (const ep of candidates) {
      const procOwned = p
        ? ep.processKeys.has(p.key) || (alerted !== undefined && ep.processKeys.has(alerted.key))
        : false;
      const parentOwned = p?.parentKey ? ep.processKeys.has(p.parentKey) : false;
      const inWindow =
        event.time >= ep.start - SPAN_SLACK_MS &&
        event.time <= ep.end + SPAN_SLACK_MS &&
        (ep.containerId === undefined ||
          !event.workload.containerId ||
          sameContainer(ep.containerId, event.workload.containerId));
      if (event.kind === 'process.exec' && p) {
        if (!procOwned && !parentOwned && !inWindow) continue;
        ep.processKeys.add(p.key);
        w.ownEpisode(p.key, ep.id);
        addEvidence(ep, event, max);
        const parent = p.parentKey ? w.processes.get(p.parentKey) : undefined;
        if (parentOwned && parent?.exec)
          addEdge(
            ep,
            edge(
              parent.exec.id,
              event.id,
              'spawned',
              parentGap ? 'parent_exec_id (parent arrived late)' : 'exec_id → parent_exec_id',
            ),
          );
        else if (ep.spanEventId)
          addEdge(ep, edge(ep.spanEventId, event.id, 'ran-in-tool', `started during the tool call in pod ${pod}`));
      } else {
        if (!procOwned && !inWindow) continue;
        if (!addEvidence(ep, event, max) && !ep.evidence.has(event.id)) continue;
        const proc = alerted ?? (p ? w.processes.get(p.key) : undefined);
        if (procOwned && proc?.exec) {
          if (!ep.evidence.has(proc.exec.id)) addEvidence(ep, proc.exec, max, true);
          addEdge(
            ep,
            edge(
              proc.exec.id,
              event.id,
              reasonFor(event),
              alerted ? `${event.source.product} named pid ${proc.pid} in the same container` : 'same process',
            ),
          );
        } else if (ep.spanEventId)
          addEdge(
            ep,
            edge(
              ep.spanEventId,
              event.id,
              'ran-in-tool',
              `during the tool call, by ${p ? 'the server process' : 'the pod'}`,
            ),
          );
      }
      ep.lastActive = Math.max(ep.lastActive, event.time);
      w.dirty.add(ep.id);
      owners.push(ep);
    }
    return owners;
  }

  private toolEpisodesFor(w: WorkloadState, event: RuntimeEvent, pod: string): EpisodeState[] {
    const ids = new Set<string>();
    const p = event.process;
    for (const id of (p && w.procEpisodes.get(p.key)) || []) ids.add(id);
    for (const id of (p?.parentKey && w.procEpisodes.get(p.parentKey)) || []) ids.add(id);
    const out: EpisodeState[] = [];
    for (const ep of w.episodes.values()) {
      if (ep.kind !== 'tool') continue;
      if (
        ids.has(ep.id) ||
        (ep.pod === pod && event.time >= ep.start - SPAN_SLACK_MS && event.time <= ep.end + SPAN_SLACK_MS)
      )
        out.push(ep);
    }
    return out;
  }

  private emit(touched: Set<WorkloadState>): KeyedEpisode[] {
    const out: KeyedEpisode[] = [];
    for (const w of touched) {
      for (const id of [...w.dirty].sort()) {
        const ep = w.episodes.get(id);
        if (!ep) continue;
        const version = pendingVersion(ep, w);
        if (version === undefined) continue;
        ep.emittedVersion = version;
        const episode: Episode = toEpisode(ep, w, version);
        out.push({ key: episode.cluster, episode });
      }
      w.dirty.clear();
      expire(w, this.timeOf(w), this.options.allowedLatenessMs);
    }
    return out;
  }
}

function podOf(event: RuntimeEvent): string {
  return event.workload.pod ?? event.workload.containerId?.slice(0, 12) ?? '-';
}

function sameContainer(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}
