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
  lastActive: number;
}

export interface TaggedHit {
  tag: string;
  time: number;
  eventId: string;
  pod: string;
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
  /** Exited processes in exit order, so expiry never scans the whole table. */
  exited: { key: string; at: number }[] = [];
  /** Event time of the last expiry pass. */
  lastExpired = 0;
  /** Open tool episodes: most workloads have none, and then attribution has nothing to do. */
  toolEpisodes = 0;
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
    this.episodes = new BoundedMap(limits.maxEpisodes, (_k, e) => this.forgetEpisode(e));
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
    if (p.pid !== undefined) {
      const k = `${p.containerId?.slice(0, 12) ?? '-'}:${p.pid}`;
      const list = this.pidIndex.get(k);
      if (!list) this.pidIndex.set(k, [p.key]);
      else if (!list.includes(p.key)) {
        list.push(p.key);
        if (list.length > 8) list.shift();
      }
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
    const k = `${p.containerId?.slice(0, 12) ?? '-'}:${p.pid}`;
    const list = this.pidIndex.get(k)?.filter((x) => x !== key);
    if (list?.length) this.pidIndex.set(k, list);
    else this.pidIndex.delete(k);
  }

  /** The process an alert names by pid: the latest one in that container started at or before `time`. */
  processByPid(containerId: string | undefined, pid: number, time: number): ProcNode | undefined {
    const keys = this.pidIndex.get(`${containerId?.slice(0, 12) ?? '-'}:${pid}`) ?? [];
    let best: ProcNode | undefined;
    for (const k of keys) {
      const p = this.processes.get(k);
      if (p && p.start <= time + 1000 && (!best || p.start > best.start)) best = p;
    }
    return best;
  }

  ownEpisode(processKey: string, episodeId: string): void {
    const list = this.procEpisodes.get(processKey) ?? [];
    if (!list.includes(episodeId)) list.push(episodeId);
    this.procEpisodes.set(processKey, list);
  }

  private forgetEpisode(e: EpisodeState): void {
    if (e.kind === 'tool') this.toolEpisodes--;
    for (const k of e.processKeys) {
      const list = this.procEpisodes.get(k)?.filter((id) => id !== e.id);
      if (list?.length) this.procEpisodes.set(k, list);
      else this.procEpisodes.delete(k);
    }
  }

  removeEpisode(id: string): void {
    const e = this.episodes.get(id);
    if (!e) return;
    this.episodes.delete(id);
    this.forgetEpisode(e);
  }
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
    podIps
  );
}
