/**
 * Stage ② (stateful, heavy): "what happened in this workload". One instance per partition of the
 * `workload-events` stream. Per workload it keeps process lineage (exec_id, or node+container+
 * pid+start; never pid alone), attributes processes and their file/network activity to the MCP
 * tool call that caused them (ran-in-tool), evaluates signals, and reduces everything to episodes
 * for the story stage. Pure over its inputs: time is event time, never the wall clock.
 */
import { baselineKey, ProfileBook, type ProfileRecord } from '../profiles/learner.ts';
import { mergeProfiles, type Profile } from '../profiles/profile.ts';
import type { Edge, Episode, KeyedEpisode, KeyedEvent, Signal } from '../model/episode.ts';
import type { RuntimeEvent } from '../model/event.ts';
import { count, emptyReport, type BatchReport } from '../pipeline/report.ts';
import type { SignalContext, SignalEngine, SignalState, WorkloadRole } from '../signals/engine.ts';
import { isPrivateIp } from '../transforms/normalise.ts';
import { BoundedMap } from './boundedMap.ts';
import { addEdge, addEvidence, addSignal, pendingVersion, toEpisode } from './episodes.ts';
import { newEpisodeState, WorkloadState, type EpisodeState, type ProcNode, type StateLimits } from './state.ts';
import { restoreWorkloads, snapshotWorkloads, type WorkloadSnapshot } from './snapshot.ts';

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
/** A process that exited this long ago (event time) and belongs to no episode is forgotten. */
const EXITED_TTL_MS = 60_000;
/**
 * How far back (event time) kernel events are kept for a tool call whose span arrives late: the
 * span is exported when the call ends, so seconds, not minutes.
 */
const ATTRIBUTION_LOOKBACK_MS = 120_000;
/** Long-lived processes looked at per expiry pass. */
const IDLE_SCAN = 64;
/** How often (event time) a workload's state is swept for expired entries. */
const EXPIRE_EVERY_MS = 5_000;
/** Parents that live outside the container and never arrive as events. */
const RUNTIME_PARENT = /containerd-shim|\/runc$|conmon|crun|docker-containerd|^\/?init$/;

/** Shared empty result: never mutated. */
const NO_EPISODES: readonly EpisodeState[] = Object.freeze([]) as readonly EpisodeState[];
const ROLE_AGENT: WorkloadRole = 'agent';
const ROLE_MCP: WorkloadRole = 'mcp-server';

export class WorkloadStage {
  private workloads: BoundedMap<string, WorkloadState>;
  /** Workloads with parked children (so each batch checks only those for parking timeouts). */
  private parkedIn = new Set<WorkloadState>();
  private watermark = 0;
  /** Highest offset folded into this state (snapshot tag). */
  lastOffset: string | undefined;
  private readonly storyRuleTags: ReadonlySet<string>;

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
    this.storyRuleTags = new Set(options.signals.rules.flatMap((r) => r.def.condition?.after?.tags ?? []));
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
      const seenKey = idHash(event.id);
      if (w.seen.has(seenKey)) {
        count(report, 'dropped', 'duplicate');
        continue;
      }
      w.seen.set(seenKey, event.time);
      this.accept(w, event);
      count(report, 'delivered', 'ok');
    }
    for (const w of this.parkedIn) if (this.releaseExpiredParking(w)) touched.add(w);
    if (offset !== undefined) this.lastOffset = offset;
    return { episodes: this.emit(touched), profiles: this.profileRecords(touched), report };
  }

  /** Advances event time without input (idle partitions), releasing parked children and expiring state. */
  tick(now: number): WorkloadStageOutput {
    if (now > this.watermark) this.watermark = now;
    const touched = new Set<WorkloadState>();
    for (const w of this.workloads.values()) {
      if (now > w.lastSeen) w.lastSeen = now;
      if (this.releaseExpiredParking(w)) touched.add(w);
      this.expire(w, true);
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
      for (const parentKey of [...w.parked.keys()]) this.release(w, parentKey, true);
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
    this.parkedIn = new Set([...this.workloads.values()].filter((w) => w.parked.size));
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

  private accept(w: WorkloadState, event: RuntimeEvent): void {
    const p = event.process;
    if (p && w.parkedProcesses.has(p.key))
      return this.park(w, event, w.parked.has(p.parentKey ?? '') ? p.parentKey! : p.key);
    if (
      event.kind === 'process.exec' &&
      p?.parentKey &&
      !w.processes.has(p.parentKey) &&
      parentExpected(event, this.options.parkingTimeoutMs)
    ) {
      return this.park(w, event, p.parentKey);
    }
    // A runtime alert that names a process we have not seen start yet (it came first through
    // another partition or sensor) waits for it up to the parking timeout, as children wait for
    // parents: then it is `alerted` to that process, not a story of its own.
    if (event.kind === 'alert' && p?.pid !== undefined && !this.processForAlert(w, event))
      return this.parkAlert(w, event);
    this.handle(w, event);
    if (event.kind === 'process.exec' && p) this.releaseWaitingOn(w, event, false);
  }

  private parkAlert(w: WorkloadState, alert: RuntimeEvent): void {
    const key = pidKey(alert.workload.containerId, alert.process!.pid!);
    let entry = w.parked.get(key);
    if (!entry) w.parked.set(key, (entry = { since: alert.time, events: [] }));
    this.parkedIn.add(w);
    entry.events.push(alert);
  }

  /** Releases what waits for this exec: its children (by process key) and alerts (by pid). */
  private releaseWaitingOn(w: WorkloadState, exec: RuntimeEvent, gap: boolean): void {
    const p = exec.process!;
    if (w.parked.has(p.key)) this.release(w, p.key, gap);
    if (p.pid !== undefined && w.parked.size) {
      const key = pidKey(exec.workload.containerId, p.pid);
      if (w.parked.has(key)) this.release(w, key, gap);
    }
  }

  private park(w: WorkloadState, event: RuntimeEvent, parentKey: string): void {
    let entry = w.parked.get(parentKey);
    if (!entry) w.parked.set(parentKey, (entry = { since: event.time, events: [] }));
    this.parkedIn.add(w);
    entry.events.push(event);
    if (event.process) w.parkedProcesses.add(event.process.key);
    let total = 0;
    for (const e of w.parked.values()) total += e.events.length;
    if (total > this.options.maxParked) {
      const oldest = w.parked.keys().next().value as string;
      this.release(w, oldest, true);
    }
  }

  /** Children go on, in order; `gap` records that their parent never arrived. */
  private release(w: WorkloadState, parentKey: string, gap: boolean): void {
    const entry = w.parked.get(parentKey);
    if (!entry) return;
    w.parked.delete(parentKey);
    for (const e of entry.events) if (e.process) w.parkedProcesses.delete(e.process.key);
    for (const e of entry.events) {
      this.handle(w, e, gap);
      if (e.kind === 'process.exec' && e.process) this.releaseWaitingOn(w, e, gap);
    }
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

  private releaseExpiredParking(w: WorkloadState): boolean {
    if (!w.parked.size) {
      this.parkedIn.delete(w);
      return false;
    }
    let released = false;
    for (const [parentKey, entry] of [...w.parked]) {
      if (this.timeOf(w) - entry.since >= this.options.parkingTimeoutMs) {
        this.release(w, parentKey, true);
        released = true;
      }
    }
    return released;
  }

  private handle(w: WorkloadState, event: RuntimeEvent, parentGap = false): void {
    // Every event that carries a process teaches the profile, exits and HTTP client calls included.
    w.profiles.see(event, w.firstSeen, this.timeOf(w));
    if (event.kind === 'http.request') return;
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
    this.recordPodIp(w, event, pod);
    if (event.trace) return this.handleSpan(w, event, pod);
    if (event.layer === 'process' || event.layer === 'file' || event.layer === 'network' || event.layer === 'alert')
      w.buffer(pod).push(event);
    const episodes = this.attribute(w, event, pod, parentGap);
    this.evaluate(w, event, pod, episodes);
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
    const turn = t.traceId ? w.episodes.get(`ep:turn:${w.key}:${t.traceId}`) : undefined;
    this.evaluate(w, event, pod, turn ? [turn] : isMcpToolCall ? [w.episodes.get(toolEpisodeId(w, event))!] : []);
  }

  private addToTurn(w: WorkloadState, event: RuntimeEvent, pod: string): void {
    const t = event.trace!;
    const id = `ep:turn:${w.key}:${t.traceId}`;
    let turn = w.episodes.get(id);
    if (!turn) w.episodes.set(id, (turn = newEpisodeState(id, 'agent-turn', pod, event.time)));
    addEvidence(turn, event, this.options.limits.maxEvidence, true);
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
    addEvidence(ep, span, this.options.limits.maxEvidence, true);
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
        for (const s of other.signals.values())
          if (s.eventId === e.id) addSignal(ep, s, e, this.options.limits.maxEvidence);
      }
      this.evaluate(w, e, pod, owners, true);
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
    const max = this.options.limits.maxEvidence;
    const candidates = only ? [only] : this.toolEpisodesFor(w, event, pod);
    // An alert names its process by pid: resolve it to the process we know.
    const alerted = event.kind === 'alert' ? this.processForAlert(w, event) : undefined;
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

  /** Evaluates signals on one event and files them with the episodes that own it. */
  private evaluate(
    w: WorkloadState,
    event: RuntimeEvent,
    pod: string,
    owners: readonly EpisodeState[],
    onlyContextRules = false,
  ): void {
    const linked = event.kind === 'alert' ? this.linkAlert(w, event, owners) : NO_EPISODES;
    const all = linked.length ? [...owners, ...linked] : owners;
    const ctx: SignalContext = {
      inToolCall: all.some((o) => o.kind === 'tool'),
      workloadRoles: w.roles,
      state: this.signalState(w, pod),
    };
    const signals = this.options.signals.evaluate(event, ctx, onlyContextRules);
    if (!signals.length) return;
    const homes = all.length ? all : [this.signalEpisode(w, event, pod)];
    for (const s of signals) this.file(w, s, event, homes, pod);
  }

  private file(
    w: WorkloadState,
    signal: Signal,
    event: RuntimeEvent,
    homes: readonly EpisodeState[],
    pod: string,
  ): void {
    const max = this.options.limits.maxEvidence;
    for (const ep of homes) {
      addSignal(ep, signal, event, max);
      this.addChain(w, ep, event);
      w.dirty.add(ep.id);
    }
    const tags = this.options.signals.tagsByRule.get(signal.ruleId) ?? [];
    for (const tag of tags) {
      w.tagged.push({ tag, time: event.time, eventId: event.id, pod });
      if (w.tagged.length > 256) w.tagged.splice(0, w.tagged.length - 256);
      if (this.storyRuleTags.has(tag)) this.recheckAfter(w, event, pod);
    }
  }

  /** A tag that arrived late may complete an `after` rule for events already seen: check them again. */
  private recheckAfter(w: WorkloadState, tagged: RuntimeEvent, pod: string): void {
    for (const e of w.buffer(pod).toArray()) {
      if (e.time < tagged.time || e.id === tagged.id || e.kind !== 'network.connect') continue;
      const owners = this.ownersOf(w, e);
      const ctx: SignalContext = {
        inToolCall: owners.some((o) => o.kind === 'tool'),
        workloadRoles: w.roles,
        state: this.signalState(w, pod),
      };
      for (const s of this.options.signals.evaluate(e, ctx)) {
        if (s.ruleId.startsWith('CW-EGRESS-NEW')) continue;
        const homes = owners.length ? owners : [this.signalEpisode(w, e, pod)];
        if (homes.some((h) => h.signals.has(s.id))) continue;
        for (const ep of homes) {
          addSignal(ep, s, e, this.options.limits.maxEvidence);
          this.addChain(w, ep, e);
          w.dirty.add(ep.id);
        }
      }
    }
  }

  private ownersOf(w: WorkloadState, event: RuntimeEvent): EpisodeState[] {
    const out: EpisodeState[] = [];
    for (const ep of w.episodes.values()) if (ep.kind === 'tool' && ep.evidence.has(event.id)) out.push(ep);
    return out;
  }

  /** Signals outside any tool call gather per process tree (the topmost known ancestor in the pod). */
  private signalEpisode(w: WorkloadState, event: RuntimeEvent, pod: string): EpisodeState {
    let root = event.process?.key ?? `pod:${pod}`;
    const seen = new Set<string>();
    let node = event.process ? w.processes.get(event.process.key) : undefined;
    if (!node && event.process) node = this.processForAlert(w, event);
    // Walk up the known lineage; an unseen parent (exec'd before our data) still names the tree,
    // so siblings under it share one episode. Runtime parents (containerd-shim) do not.
    const unseenParent = (p: RuntimeEvent['process']) =>
      p?.parentKey && !RUNTIME_PARENT.test(p.parentBinary ?? '') ? p.parentKey : undefined;
    if (!node) root = unseenParent(event.process) ?? root;
    while (node && !seen.has(node.key)) {
      seen.add(node.key);
      root = node.key;
      const parent = node.parentKey ? w.processes.get(node.parentKey) : undefined;
      if (!parent) {
        root = unseenParent(node.exec?.process) ?? root;
        break;
      }
      node = parent;
    }
    const id = `ep:signal:${w.key}:${pod}:${root}`;
    let ep = w.episodes.get(id);
    if (!ep) w.episodes.set(id, (ep = newEpisodeState(id, 'signal', pod, event.time)));
    return ep;
  }

  /** Adds the event's process chain (exec events, spawned edges) so the story shows how it came to run. */
  private addChain(w: WorkloadState, ep: EpisodeState, event: RuntimeEvent): void {
    const max = this.options.limits.maxEvidence;
    let node: ProcNode | undefined = event.process
      ? (w.processes.get(event.process.key) ?? this.processForAlert(w, event))
      : undefined;
    if (node?.exec && node.exec.id !== event.id) {
      addEvidence(ep, node.exec, max, true);
      addEdge(
        ep,
        edge(
          node.exec.id,
          event.id,
          event.kind === 'alert' ? 'alerted' : reasonFor(event),
          event.kind === 'alert' ? 'same process' : 'same process',
        ),
      );
    }
    for (let depth = 0; node?.parentKey && depth < 16; depth++) {
      const parent = w.processes.get(node.parentKey);
      if (!parent?.exec || !node.exec) break;
      addEvidence(ep, parent.exec, max, true);
      addEdge(ep, edge(parent.exec.id, node.exec.id, 'spawned', 'exec_id → parent_exec_id'));
      node = parent;
    }
  }

  /** alerted: a runtime alert names a process by pid (Kubescape, Falco) or the same key. */
  private processForAlert(w: WorkloadState, event: RuntimeEvent): ProcNode | undefined {
    const p = event.process;
    if (!p) return undefined;
    return (
      w.processes.get(p.key) ??
      (p.pid !== undefined ? w.processByPid(event.workload.containerId, p.pid, event.time) : undefined)
    );
  }

  /** Episodes (beyond `owners`) that own the process an alert names; the alert joins them. */
  private linkAlert(w: WorkloadState, alert: RuntimeEvent, owners: readonly EpisodeState[]): readonly EpisodeState[] {
    const proc = this.processForAlert(w, alert);
    if (!proc?.exec) return NO_EPISODES;
    const linked: EpisodeState[] = [];
    for (const id of w.procEpisodes.get(proc.key) ?? []) {
      const ep = w.episodes.get(id);
      if (!ep || owners.includes(ep)) continue;
      addEvidence(ep, alert, this.options.limits.maxEvidence, true);
      addEdge(
        ep,
        edge(proc.exec.id, alert.id, 'alerted', `${alert.source.product} named pid ${proc.pid} in the same container`),
      );
      linked.push(ep);
      w.dirty.add(ep.id);
    }
    return linked;
  }

  /** The workload's answers to stateful rules, built once per pod (the closures read live state). */
  private signalState(w: WorkloadState, pod: string): SignalState {
    const cached = w.signalStates.get(pod) as SignalState | undefined;
    if (cached) return cached;
    const state: SignalState = {
      firstSeen: (per, event, key) => {
        const scoped = per === 'agent' ? `${event.trace?.agentName ?? event.workload.serviceName ?? '-'}|${key}` : key;
        if (w.firstSeenKeys.has(scoped)) return false;
        w.firstSeenKeys.set(scoped, event.time);
        return event.time >= w.firstSeen + this.options.learningPeriodMs;
      },
      taggedBefore: (tags, withinMs, event) => {
        for (let i = w.tagged.length - 1; i >= 0; i--) {
          const hit = w.tagged[i]!;
          if (
            hit.pod === pod &&
            tags.includes(hit.tag) &&
            hit.time <= event.time &&
            event.time - hit.time <= withinMs &&
            hit.eventId !== event.id
          )
            return { eventId: hit.eventId, tag: hit.tag };
        }
        return undefined;
      },
      deviation: (kind, event, profile) => {
        const d = w.profiles.deviation(kind, event);
        return d && (!profile || d.profile === profile) ? `${d.value}: ${d.evidence}` : undefined;
      },
      toolJump: (event) => {
        const turn = event.trace?.traceId ? w.episodes.get(`ep:turn:${w.key}:${event.trace.traceId}`) : undefined;
        if (!turn) return undefined;
        for (const other of turn.evidence.values()) {
          const name = other.trace?.toolName;
          if (
            other.id !== event.id &&
            name &&
            other.time <= event.time &&
            this.options.signals.toolRisk(name) === 'benign'
          )
            return name;
        }
        return undefined;
      },
    };
    w.signalStates.set(pod, state);
    return state;
  }

  /**
   * Forgets what can no longer matter: exited processes, old buffers, closed episodes, old tags,
   * old dedupe ids. Runs at most every EXPIRE_EVERY_MS of event time per workload and never scans
   * more than it removes (plus the buffers).
   */
  private expire(w: WorkloadState, force = false): void {
    const now = this.timeOf(w);
    if (!force && now - w.lastExpired < EXPIRE_EVERY_MS) return;
    w.lastExpired = now;
    const horizon = now - this.options.allowedLatenessMs;
    let n = 0;
    while (n < w.exited.length && now - w.exited[n]!.at > EXITED_TTL_MS) {
      const { key } = w.exited[n++]!;
      const p = w.processes.get(key);
      if (p?.exited !== undefined && !w.procEpisodes.has(key)) w.removeProcess(key);
    }
    if (n) w.exited.splice(0, n);
    // Processes that never exit in our data (daemons, lost exit events) and stayed quiet past the
    // allowed lateness, in no episode, go too: a few per pass, oldest first; an active one moves to
    // the back, so the scan stays short.
    let scanned = 0;
    for (const [key, proc] of w.processes.entries()) {
      if (scanned++ >= IDLE_SCAN || proc.start >= horizon) break;
      if (proc.exited !== undefined) continue;
      if ((proc.lastActive ?? proc.start) < horizon && !w.procEpisodes.has(key)) w.removeProcess(key);
      else {
        w.processes.delete(key);
        w.processes.set(key, proc);
      }
    }
    const lookback = now - ATTRIBUTION_LOOKBACK_MS;
    for (const ring of w.buffers.values()) ring.retain((e) => e.time >= lookback);
    for (const ep of [...w.episodes.values()])
      if (ep.lastActive < horizon && !w.dirty.has(ep.id)) w.removeEpisode(ep.id);
    if (w.tagged.length && w.tagged[0]!.time < horizon) w.tagged = w.tagged.filter((t) => t.time >= horizon);
    // The dedupe map is in arrival order, which follows event time closely: stop at the first young id.
    for (const [k, t] of w.seen.entries()) {
      if (t >= horizon) break;
      w.seen.delete(k);
    }
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
      this.expire(w);
    }
    return out;
  }
}

/**
 * Dedupe key: a 53-bit FNV-1a of the event id (two 32-bit lanes). Numbers instead of the id
 * strings keep a few thousand recent ids per workload cheap in memory and in Map lookups; a false
 * match needs two 2^-26 collisions among a workload's recent ids.
 */
export function idHash(id: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}

function toolEpisodeId(w: WorkloadState, span: RuntimeEvent): string {
  return `ep:tool:${w.key}:${span.trace?.traceId ?? '-'}:${span.trace?.spanId ?? span.id}`;
}

function podOf(event: RuntimeEvent): string {
  return event.workload.pod ?? event.workload.containerId?.slice(0, 12) ?? '-';
}

function sameContainer(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/**
 * Wait for a parent only when it should still arrive: a Tetragon parent inside the container
 * that started recently. A parent exec'd long before our data (an hour-old server) never will.
 */
/** The parking key of alerts waiting for the process a pid names in a container. */
function pidKey(containerId: string | undefined, pid: number): string {
  return `pid:${containerId?.slice(0, 12) ?? '-'}:${pid}`;
}

function parentExpected(event: RuntimeEvent, parkingTimeoutMs: number): boolean {
  const p = event.process;
  if (event.source.product !== 'tetragon' || !p?.parentBinary || RUNTIME_PARENT.test(p.parentBinary)) return false;
  return p.parentStartTime === undefined || event.time - p.parentStartTime <= parkingTimeoutMs;
}

function reasonFor(event: RuntimeEvent): Edge['reason'] {
  if (event.kind === 'dns.query') return 'resolved';
  if (event.layer === 'network') return 'connected';
  if (event.kind === 'alert') return 'alerted';
  return 'accessed';
}

function edge(from: string, to: string, reason: Edge['reason'], detail: string): Edge {
  return { from, to, reason, detail };
}
