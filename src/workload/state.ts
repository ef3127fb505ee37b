/**
 * The state of one workload in stage ②: its processes, recent events per pod, open episodes and
 * what its signals need to remember. Bounded everywhere; serialisable for snapshots.
 */
import { ProfileBook } from '../profiles/learner.ts';
import type { Edge, Signal } from '../model/episode.ts';
import type { RuntimeEvent, WorkloadIdentity } from '../model/event.ts';
import type { WorkloadRole } from '../signals/engine.ts';
import { BoundedMap } from '../common/boundedMap.ts';
import { Ring } from '../common/ring.ts';

/**
 * How far back (event time) kernel events are kept for a tool call whose span arrives late. A span
 * is exported when the call ends, but an exporter that cannot reach the collector retries for up
 * to 5 minutes (the OpenTelemetry Collector's retry_on_failure max_elapsed_time default, 300 s)
 * while the sensors' events flow on; twice that covers a retry plus a backed-up pipeline. The
 * buffers stay bounded by count (maxBufferedEventsPerContainer; 32 for pods with no agent or MCP
 * role).
 */
export const ATTRIBUTION_LOOKBACK_MS = 10 * 60_000;

export interface ProcNode {
  key: string;
  parentKey?: string;
  pid?: number;
  containerId?: string;
  pod?: string;
  start: number;
  exited?: number;
  /** Event time of the latest event of this process (file, network, alert), for idle expiry. */
  lastActive?: number;
  /** The exec event, when seen (evidence for chains). */
  exec?: RuntimeEvent;
  /** Serves others (an MCP server, a supervisor): its children start trees of their own. */
  service?: boolean;
  /** The root of its process tree (lineage.treeRoot), fixed when it starts. */
  rootKey?: string;
  /** A stdio MCP server: a child of the agent that serves tool calls (network.transport = pipe). */
  mcpServer?: boolean;
  /**
   * Its latest notable effects (connections, DNS lookups, written files), so a tree episode that
   * opens later still shows what its processes did before (processTrees.NOTABLE), whatever the order.
   */
  effects?: RuntimeEvent[];
}

export interface EpisodeState {
  id: string;
  kind: 'tool' | 'agent-turn' | 'signal';
  pod: string;
  containerId?: string;
  start: number;
  end: number;
  /** The span that defines a tool episode (MCP server span or in-process execute_tool). */
  spanEventId?: string;
  /**
   * A tool episode's call window: its spans' start and end. `start`/`end` cover its evidence, which
   * outlives the call (a dropped binary beaconing for an hour); only the call's own window lets
   * the server's later work in.
   */
  callStart?: number;
  callEnd?: number;
  /** The process that serves a tool episode's calls (stdio MCP server child), when known. */
  serverKey?: string;
  /** A process-tree episode's root process key. */
  rootKey?: string;
  /** A tool call to a stdio MCP server (the agent's child process), from the MCP client span. */
  stdio?: boolean;
  /** The processes seen serving the call (the parents of the processes it claimed). */
  servedBy?: Set<string>;
  /** Events taken back out (a contested effect): counted in the version, which must still grow. */
  removed?: number;
  evidence: Map<string, RuntimeEvent>;
  edges: Map<string, Edge>;
  signals: Map<string, Signal>;
  processKeys: Set<string>;
  traceIds: Set<string>;
  sessionIds: Set<string>;
  conversationIds: Set<string>;
  agentNames: Set<string>;
  toolNames: Set<string>;
  clientIps: Set<string>;
  endUsers: Set<string>;
  elided: number;
  emittedVersion: number;
  /** What the last version of a large episode held (emitPacing.ts). */
  emitted?: { size: number; identities: number; facets: number };
  /** Its event kinds, link reasons and signal rules, once it is large (in memory, rebuilt on demand). */
  facets?: Set<string>;
  lastActive: number;
}

export interface TaggedHit {
  tag: string;
  time: number;
  eventId: string;
  pod: string;
  /** The process tree of the tagged event (its root key), when its process is known. */
  root?: string;
}

export interface StateLimits {
  maxProcesses: number;
  maxBuffered: number;
  maxEvidence: number;
  maxEpisodes: number;
  maxSeen: number;
}

export class WorkloadState {
  identity: WorkloadIdentity;
  firstSeen: number;
  /** The latest event time of this workload: its own watermark for parking and expiry. */
  lastSeen: number;
  roles = new Set<WorkloadRole>();
  /** Recent event ids (as hash53 numbers) → event time, for dedupe. */
  seen: BoundedMap<number, number>;
  processes: BoundedMap<string, ProcNode>;
  /** `<containerId12>:<pid>` → process keys (for alerts that name a pid, not an exec_id). */
  pidIndex = new Map<string, string[]>();
  /** `<pod>:<pid>` → process keys (for alerts that name the pod and pid but no container id). */
  podPidIndex = new Map<string, string[]>();
  /** Pod → its known processes' keys (alerts that name only a command line). */
  podProcesses = new Map<string, Set<string>>();
  buffers = new Map<string, Ring<RuntimeEvent>>();
  podIps = new Map<string, Set<string>>();
  episodes: BoundedMap<string, EpisodeState>;
  /** Process key → episodes that own it (derived from episodes' processKeys). */
  procEpisodes = new Map<string, string[]>();
  tagged: TaggedHit[] = [];
  firstSeenKeys: BoundedMap<string, number>;
  /** Children waiting for a parent: parent key → events, plus the time they started waiting. */
  parked = new Map<string, { since: number; events: RuntimeEvent[] }>();
  parkedProcesses = new Set<string>();
  dirty = new Set<string>();
  /** Changed (or held: emitPacing.ts) episodes evicted since the last emit: written by the next one. */
  evictedDirty: EpisodeState[] = [];
  /** Exited processes in exit order, so expiry never scans the whole table. */
  exited: { key: string; at: number }[] = [];
  /** Event time of the last expiry pass. */
  lastExpired = 0;
  /** Open tool episodes: most workloads have none, and then attribution has nothing to do. */
  toolEpisodes = 0;
  /** Open process-tree episodes: most workloads have none, and then trees do not grow. */
  treeEpisodes = 0;
  /**
   * Containers' main processes (started by the container runtime), by key, whether or not their
   * exec was seen: any event of theirs names the runtime as parent.
   */
  mainProcesses = new Set<string>();
  /** Alerts that named a process not known yet, by `<container12>:<pid>` / `pod:<pod>:<pid>` (lateArrivals.ts). */
  orphanAlerts = new Map<string, { alert: RuntimeEvent; episodeId: string }[]>();
  /** Processes whose parent was not known yet, by the parent's key (lateArrivals.ts). */
  orphanChildren = new Map<string, string[]>();
  /** Notable effects of processes whose exec was not known yet, by process key (processTrees.ts). */
  orphanEffects = new Map<string, RuntimeEvent[]>();
  /** A tree root → the episode that holds its tree, when that episode was opened under another root. */
  treeAlias = new Map<string, string>();
  /** Per container (12-character id), the processes seen serving tool calls. */
  readonly serving = new Map<string, Set<string>>();
  /** Behavioural profiles per container (learned or imported). */
  profiles = new ProfileBook(0);
  /** Signal state per pod, built once (the closures see live state). */
  signalStates = new Map<string, unknown>();

  constructor(
    readonly key: string,
    identity: WorkloadIdentity,
    time: number,
    readonly limits: StateLimits,
  ) {
    this.identity = { ...identity };
    this.firstSeen = time;
    this.lastSeen = time;
    this.seen = new BoundedMap(limits.maxSeen);
    this.processes = new BoundedMap(limits.maxProcesses, (k, p) => this.unindex(k, p));
    this.episodes = new BoundedMap(limits.maxEpisodes, (_k, e) => {
      // A changed episode pushed out before the batch ends still has its version written.
      if (this.dirty.delete(e.id)) this.evictedDirty.push(e);
      this.forgetEpisode(e);
    });
    this.firstSeenKeys = new BoundedMap(4096);
  }

  get evictions(): number {
    return this.seen.evictions + this.processes.evictions + this.episodes.evictions + this.firstSeenKeys.evictions;
  }

  /**
   * Recent events per pod, for a tool span that arrives after the kernel events it caused. Only
   * MCP servers and agents get tool spans (and an MCP server's initialize/tools/list spans give it
   * the role before its first tools/call), so other pods keep a small buffer, enough to re-check
   * rules when a late event completes them.
   */
  buffer(pod: string): Ring<RuntimeEvent> {
    let r = this.buffers.get(pod);
    const cap = this.roles.size ? this.limits.maxBuffered : Math.min(32, this.limits.maxBuffered);
    if (!r) this.buffers.set(pod, (r = new Ring(cap)));
    else if (r.cap < cap) this.buffers.set(pod, (r = Ring.from(r.toArray(), cap)));
    return r;
  }

  addProcess(p: ProcNode): void {
    this.processes.set(p.key, p);
    // A process that starts children is in use: its ancestors are the last to be evicted, so a
    // shell spawning thousands of short-lived children keeps its tree (and its story) whole.
    let parent = p.parentKey;
    for (let depth = 0; parent !== undefined && depth < 16; depth++) {
      const node = this.processes.get(parent);
      if (!node) break;
      this.processes.touch(parent);
      parent = node.parentKey;
    }
    if (p.pid !== undefined) {
      addKey(this.pidIndex, `${p.containerId?.slice(0, 12) ?? '-'}:${p.pid}`, p.key);
      if (p.pod) addKey(this.podPidIndex, `${p.pod}:${p.pid}`, p.key);
    }
    if (p.pod) {
      let set = this.podProcesses.get(p.pod);
      if (!set) this.podProcesses.set(p.pod, (set = new Set()));
      set.add(p.key);
    }
  }

  /** Forgets a process (and its pid index entry). */
  removeProcess(key: string): void {
    const p = this.processes.get(key);
    if (!p) return;
    this.processes.delete(key);
    this.unindex(key, p);
  }

  private unindex(key: string, p: ProcNode): void {
    removeKey(this.pidIndex, `${p.containerId?.slice(0, 12) ?? '-'}:${p.pid}`, key);
    if (p.pod) {
      removeKey(this.podPidIndex, `${p.pod}:${p.pid}`, key);
      const set = this.podProcesses.get(p.pod);
      set?.delete(key);
      if (set?.size === 0) this.podProcesses.delete(p.pod);
    }
  }

  /** The processes seen serving tool calls in a container (learned, bounded by the caller). */
  servers(containerId: string | undefined): Set<string> {
    const k = containerId?.slice(0, 12) ?? '-';
    let set = this.serving.get(k);
    if (!set) this.serving.set(k, (set = new Set()));
    return set;
  }

  /**
   * Remembers a container's main process (bounded: a workload has a few containers per pod). It is
   * the container's first serving process: a remote MCP server's calls run under it.
   */
  addMainProcess(key: string, containerId: string | undefined): void {
    if (this.mainProcesses.has(key)) return;
    if (this.mainProcesses.size >= MAX_MAIN_PROCESSES)
      this.mainProcesses.delete(this.mainProcesses.values().next().value!);
    this.mainProcesses.add(key);
    const servers = this.servers(containerId);
    if (servers.size < 8) servers.add(key);
  }

  ownEpisode(processKey: string, episodeId: string): void {
    const list = this.procEpisodes.get(processKey) ?? [];
    if (!list.includes(episodeId)) list.push(episodeId);
    this.procEpisodes.set(processKey, list);
  }

  private forgetEpisode(e: EpisodeState): void {
    if (e.kind === 'tool') this.toolEpisodes--;
    if (e.rootKey !== undefined) this.treeEpisodes--;
    for (const k of e.processKeys) {
      const list = this.procEpisodes.get(k)?.filter((id) => id !== e.id);
      if (list?.length) this.procEpisodes.set(k, list);
      else this.procEpisodes.delete(k);
    }
  }

  /** Forgets an episode; its processes that have exited and that no other episode holds go too. */
  removeEpisode(id: string): void {
    const e = this.episodes.get(id);
    if (!e) return;
    this.episodes.delete(id);
    this.forgetEpisode(e);
    for (const k of e.processKeys)
      if (!this.procEpisodes.has(k) && this.processes.get(k)?.exited !== undefined) this.removeProcess(k);
  }
}

/** Main processes remembered per workload (replicas × containers, with restarts). */
const MAX_MAIN_PROCESSES = 256;

/** Keeps at most 8 keys per index entry (a pid is reused, rarely more often than that in the window). */
function addKey(index: Map<string, string[]>, k: string, key: string): void {
  const list = index.get(k);
  if (!list) index.set(k, [key]);
  else if (!list.includes(key)) {
    list.push(key);
    if (list.length > 8) list.shift();
  }
}

function removeKey(index: Map<string, string[]>, k: string, key: string): void {
  const list = index.get(k)?.filter((x) => x !== key);
  if (list?.length) index.set(k, list);
  else index.delete(k);
}

export function newEpisodeState(id: string, kind: EpisodeState['kind'], pod: string, time: number): EpisodeState {
  return {
    id,
    kind,
    pod,
    start: time,
    end: time,
    evidence: new Map(),
    edges: new Map(),
    signals: new Map(),
    processKeys: new Set(),
    traceIds: new Set(),
    sessionIds: new Set(),
    conversationIds: new Set(),
    agentNames: new Set(),
    toolNames: new Set(),
    clientIps: new Set(),
    endUsers: new Set(),
    elided: 0,
    emittedVersion: 0,
    lastActive: time,
  };
}

/** Content-derived and monotone: evidence, links, signals and identifiers only ever grow. */
export function episodeVersion(e: EpisodeState, podIps: number): number {
  return (
    e.evidence.size +
    e.edges.size +
    e.signals.size +
    e.traceIds.size +
    e.sessionIds.size +
    e.conversationIds.size +
    e.agentNames.size +
    e.toolNames.size +
    e.clientIps.size +
    e.endUsers.size +
    (e.servedBy?.size ?? 0) +
    2 * (e.removed ?? 0) +
    podIps
  );
}
