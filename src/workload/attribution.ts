/**
 * ran-in-tool (DESIGN §4): which MCP tool calls own a kernel event. A process belongs to a tool
 * call when the process that serves the calls started it inside the call's window, or when it
 * descends from one that did. The serving process is the container's main process or a process
 * seen serving earlier calls (remote servers), or the MCP server child of the agent (stdio
 * servers); a process of another root in the same container — an `exec` from outside, a cron job,
 * an init shim — is not the tool's, however well its timing matches. File, network and alert events
 * belong to their process's tool calls, or to a call whose window they fall in when their process
 * is the serving process itself. Each claim adds the edge that explains it.
 */
import type { RuntimeEvent } from '../model/event.ts';
import { addEdge, addEvidence, addSignal, edge, NO_EPISODES, reasonFor } from './episodes.ts';
import { isService, isStdioServer, resolveProcess, RUNTIME_PARENT, type ResolvedProcess } from './lineage.ts';
import type { EpisodeState, WorkloadState } from './state.ts';
import { isServiceTree } from './processTrees.ts';

/** Slack around a tool span: kernel and span clocks differ by a few milliseconds. */
export const SPAN_SLACK_MS = 250;

/** Processes remembered per container as serving tool calls. */
const MAX_SERVERS = 8;

/**
 * The tool episodes that own this event (all candidates, or `only` that one), with the event,
 * its edges and the process keys added to them. `parentGap` records that the process's parent
 * arrived late (it was parked).
 */
export function attribute(
  w: WorkloadState,
  event: RuntimeEvent,
  pod: string,
  parentGap: boolean,
  only?: EpisodeState,
): readonly EpisodeState[] {
  if (!only && w.toolEpisodes === 0) return NO_EPISODES;
  const owners: EpisodeState[] = [];
  const candidates = only ? [only] : toolEpisodesFor(w, event, pod);
  if (!candidates.length) return NO_EPISODES;
  // An alert names its process by pid: resolve it to the process we know.
  const alerted = event.kind === 'alert' ? resolveProcess(w, event) : undefined;
  for (const ep of unambiguous(w, event, candidates, alerted)) {
    const claimed =
      event.kind === 'process.exec' && event.process
        ? claimProcess(w, ep, event, pod, parentGap)
        : claimActivity(w, ep, event, alerted);
    if (!claimed) continue;
    ep.lastActive = Math.max(ep.lastActive, event.time);
    w.dirty.add(ep.id);
    owners.push(ep);
  }
  return owners;
}

/**
 * A server that serves several calls at once (two agents on one MCP server pod) does work in-process
 * that only timing ties to a call. When more than one call's window holds such an effect, the one
 * whose tool does that kind of work (a connection: an HTTP/fetch/post tool; a file: a file tool)
 * keeps it; when that does not single one out, none does: an ambiguous effect joins no story.
 */
export function unambiguous(
  w: WorkloadState,
  event: RuntimeEvent,
  candidates: EpisodeState[],
  alerted: ResolvedProcess | undefined,
): EpisodeState[] {
  // The client and server spans of one call (a stdio server traced on both sides) are one call.
  if (candidates.length < 2 || sameCall(candidates)) return candidates;
  if (event.kind === 'process.exec') return nearestCall(event, candidates);
  const procKey = alerted?.proc.key ?? event.process?.key;
  const owning = candidates.filter((ep) => procKey !== undefined && ep.processKeys.has(procKey));
  if (owning.length) return owning;
  const hint = event.layer === 'network' ? NETWORK_TOOL : event.layer === 'file' ? FILE_TOOL : undefined;
  const fitting = hint ? candidates.filter((ep) => [...ep.toolNames].some((t) => hint.test(t))) : [];
  return fitting.length === 1 ? fitting : [];
}

function sameCall(candidates: readonly EpisodeState[]): boolean {
  const traces = new Set(candidates.flatMap((ep) => [...ep.traceIds]));
  return traces.size === 1 && candidates.every((ep) => ep.traceIds.size === 1);
}

/**
 * An exec during several calls' windows: the calls that own its parent (or it) keep it; otherwise
 * the call that started last before it (a server starts a call's work right after the call
 * arrives), one only.
 */
function nearestCall(exec: RuntimeEvent, candidates: EpisodeState[]): EpisodeState[] {
  const p = exec.process!;
  const owning = candidates.filter(
    (ep) => ep.processKeys.has(p.key) || (!!p.parentKey && ep.processKeys.has(p.parentKey)),
  );
  if (owning.length) return owning;
  const started = candidates.filter((ep) => (ep.callStart ?? ep.start) - SPAN_SLACK_MS <= exec.time);
  const pool = started.length ? started : candidates;
  const at = (ep: EpisodeState) => ep.callStart ?? ep.start;
  const best = pool.reduce((a, b) => (at(b) > at(a) || (at(b) === at(a) && b.id < a.id) ? b : a));
  return [best];
}

/** Tools that make connections, and tools that touch files (by name). */
const NETWORK_TOOL = /http|fetch|post|send|upload|webhook|request|curl|download|url|web|browse|email|mail|api/i;
const FILE_TOOL = /file|read|write|fs|path|doc|disk|dir|save|load/i;

/** A process exec joins a tool call its serving process started it in, or whose process is its parent. */
function claimProcess(
  w: WorkloadState,
  ep: EpisodeState,
  event: RuntimeEvent,
  pod: string,
  parentGap: boolean,
): boolean {
  const p = event.process!;
  const procOwned = ep.processKeys.has(p.key);
  const parentOwned = p.parentKey ? ep.processKeys.has(p.parentKey) : false;
  if (!procOwned && !parentOwned) {
    if (!(inWindow(ep, event) && servesCall(w, ep, event))) return false;
    if (p.parentKey) (ep.servedBy ??= new Set()).add(p.parentKey);
  }
  ep.processKeys.add(p.key);
  w.ownEpisode(p.key, ep.id);
  addEvidence(ep, event, w.limits.maxEvidence);
  const parent = p.parentKey ? w.processes.get(p.parentKey) : undefined;
  if (parentOwned && parent?.exec) {
    const detail = parentGap ? 'parent_exec_id (parent arrived late)' : 'exec_id → parent_exec_id';
    addEdge(ep, edge(parent.exec.id, event.id, 'spawned', detail));
  } else if (ep.spanEventId) {
    const by = ep.stdio ? 'the stdio MCP server' : 'the server process';
    addEdge(ep, edge(ep.spanEventId, event.id, 'ran-in-tool', `started by ${by} during the tool call in pod ${pod}`));
  }
  adoptEarlierEffects(w, ep, p.key, pod);
  return true;
}

/**
 * What the process did before its exec arrived (sensors deliver out of order) is the call's too,
 * with the signals it raised.
 */
function adoptEarlierEffects(w: WorkloadState, ep: EpisodeState, processKey: string, pod: string): void {
  for (const e of w.buffer(pod).toArray()) {
    if (e.process?.key !== processKey || e.kind === 'process.exec' || ep.evidence.has(e.id)) continue;
    if (!claimActivity(w, ep, e, undefined)) continue;
    takeSignals(w, ep, e);
  }
}

/**
 * Signals an event raised before a tool call owned it now belong to the call: copied from the
 * tree episode that held them (the story stage joins the two), or moved, when that episode only
 * stood for a service's own work (it must not tie calls together).
 */
export function takeSignals(w: WorkloadState, ep: EpisodeState, e: RuntimeEvent): void {
  for (const other of [...w.episodes.values()]) {
    if (other === ep || other.kind !== 'signal' || !other.evidence.has(e.id)) continue;
    for (const s of other.signals.values()) if (s.eventId === e.id) addSignal(ep, s, e, w.limits.maxEvidence);
    if (isServiceTree(w, other)) unclaim(w, other, e.id);
  }
}

/**
 * Whether the process that started this exec serves the call: the stdio server child (stdio), or
 * the container's serving process (remote). A parent started by the container runtime (an exec
 * from outside, a probe) never does; an unseen parent does only while no serving process is known.
 */
function servesCall(w: WorkloadState, ep: EpisodeState, exec: RuntimeEvent): boolean {
  const p = exec.process!;
  if (!p.parentKey) return !ep.stdio;
  if (p.parentBinary !== undefined && RUNTIME_PARENT.test(p.parentBinary)) return false;
  const parent = w.processes.get(p.parentKey);
  if (ep.stdio) {
    if (!parent) return !w.mainProcesses.has(p.parentKey);
    if (!parent.mcpServer && parent.parentKey !== undefined && w.mainProcesses.has(parent.parentKey)) {
      // A child of the agent starting processes during a stdio call is that call's server.
      parent.mcpServer = true;
      parent.service = true;
    }
    return isStdioServer(w, parent);
  }
  const servers = w.servers(exec.workload.containerId);
  if (servers.has(p.parentKey)) return true;
  if (parent) {
    if (!isService(w, parent, exec.time)) return false;
    learnServer(servers, p.parentKey);
    return true;
  }
  if (servers.size) return false;
  learnServer(servers, p.parentKey);
  return true;
}

function learnServer(servers: Set<string>, key: string): void {
  if (servers.size >= MAX_SERVERS) servers.delete(servers.values().next().value!);
  servers.add(key);
}

/** File, network and alert events join their process's tool calls, or one whose window they fall in. */
function claimActivity(
  w: WorkloadState,
  ep: EpisodeState,
  event: RuntimeEvent,
  alerted: ResolvedProcess | undefined,
): boolean {
  const p = event.process;
  const max = w.limits.maxEvidence;
  const procKey = alerted?.proc.key ?? p?.key;
  const procOwned = procKey !== undefined && ep.processKeys.has(procKey);
  if (!procOwned && !(inWindow(ep, event) && byServer(w, ep, event))) return false;
  if (!addEvidence(ep, event, max) && !ep.evidence.has(event.id)) return false;
  const proc = alerted?.proc ?? (p ? w.processes.get(p.key) : undefined);
  if (procOwned && proc?.exec) {
    if (!ep.evidence.has(proc.exec.id)) addEvidence(ep, proc.exec, max, true);
    const detail = alerted ? `${event.source.product} names ${alerted.via}` : 'same process';
    addEdge(ep, edge(proc.exec.id, event.id, reasonFor(event), detail));
  } else if (ep.spanEventId) {
    const detail = `during the tool call, by ${p ? 'the server process' : 'the pod'}`;
    addEdge(ep, edge(ep.spanEventId, event.id, 'ran-in-tool', detail));
  }
  return true;
}

/**
 * An effect in the window that no owned process made belongs to the call only when the serving
 * process made it in-process (a server that reads a file or connects out while handling the
 * call), or the source names no process. Another tree's effects stay out.
 */
function byServer(w: WorkloadState, ep: EpisodeState, event: RuntimeEvent): boolean {
  const p = event.process;
  if (!p) return !ep.stdio;
  const proc = w.processes.get(p.key);
  if (ep.stdio) {
    // The stdio server itself (a child of the agent's main process) working in-process.
    if (proc) return isStdioServer(w, proc);
    return !w.mainProcesses.has(p.key) && p.parentKey !== undefined && w.mainProcesses.has(p.parentKey);
  }
  const servers = w.servers(event.workload.containerId);
  if (servers.has(p.key) || w.mainProcesses.has(p.key)) return true;
  if (proc) return proc.service === true || isService(w, proc, event.time);
  // A process we never saw start is the server only when nothing says otherwise: its exec may just
  // be late (a tool process's effect arriving first is claimed when its exec is).
  return !servers.size && !p.parentKey;
}

/** Inside the call's window (with slack), in the call's container when both are known. */
function inWindow(ep: EpisodeState, event: RuntimeEvent): boolean {
  return (
    duringCall(ep, event.time) &&
    (ep.containerId === undefined ||
      !event.workload.containerId ||
      sameContainer(ep.containerId, event.workload.containerId))
  );
}

/** Tool episodes that could own the event: those of its process or parent, or open in its pod then. */
function toolEpisodesFor(w: WorkloadState, event: RuntimeEvent, pod: string): EpisodeState[] {
  const ids = new Set<string>();
  const p = event.process;
  for (const id of (p && w.procEpisodes.get(p.key)) || []) ids.add(id);
  for (const id of (p?.parentKey && w.procEpisodes.get(p.parentKey)) || []) ids.add(id);
  const out: EpisodeState[] = [];
  for (const ep of w.episodes.values()) {
    if (ep.kind !== 'tool') continue;
    if (ids.has(ep.id) || (ep.pod === pod && duringCall(ep, event.time))) out.push(ep);
  }
  return out;
}

/** Within the call's own window (its spans), with slack: not the span of what it went on to cause. */
function duringCall(ep: EpisodeState, time: number): boolean {
  return time >= (ep.callStart ?? ep.start) - SPAN_SLACK_MS && time <= (ep.callEnd ?? ep.end) + SPAN_SLACK_MS;
}

/** Container ids compare by prefix: some sources give only the first 12 characters. */
function sameContainer(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/**
 * A call whose span arrived late competes for the server's in-process effects already claimed by
 * another call's window: the effects go to the calls `unambiguous` picks among all of them, and a
 * call that claimed one it no longer gets gives it up (its next version leaves it out).
 */
export function contestedBy(w: WorkloadState, event: RuntimeEvent, ep: EpisodeState, pod: string): boolean {
  const p = event.process;
  // Its own process's events, and those outside its window (only its processes can claim them),
  // are not contested.
  if ((p && ep.processKeys.has(p.key)) || !inWindow(ep, event)) return true;
  if (event.kind === 'process.exec') {
    // Another call claimed this exec by its window (not through its parent): the nearer call wins.
    const rivals = toolEpisodesFor(w, event, pod).filter(
      (o) => o !== ep && o.processKeys.has(p!.key) && !(p!.parentKey && o.processKeys.has(p!.parentKey)),
    );
    if (!rivals.length) return true;
    const [picked] = nearestCall(event, [ep, ...rivals]);
    if (picked !== ep) return false;
    for (const o of rivals) unclaimProcess(w, o, p!.key);
    return true;
  }
  const rivals = toolEpisodesFor(w, event, pod).filter(
    (o) => o !== ep && o.evidence.has(event.id) && !(p && o.processKeys.has(p.key)),
  );
  if (!rivals.length) return true;
  const picked = unambiguous(w, event, [ep, ...rivals], undefined);
  for (const o of rivals) if (!picked.includes(o)) unclaim(w, o, event.id);
  return picked.includes(ep);
}

/** Takes a process, its descendants in the episode and all they did back out of an episode. */
function unclaimProcess(w: WorkloadState, ep: EpisodeState, key: string): void {
  const gone = new Set([key]);
  for (let grew = true; grew;) {
    grew = false;
    for (const k of ep.processKeys) {
      const parent = w.processes.get(k)?.parentKey;
      if (!gone.has(k) && parent !== undefined && gone.has(parent)) {
        gone.add(k);
        grew = true;
      }
    }
  }
  for (const e of [...ep.evidence.values()]) if (e.process && gone.has(e.process.key)) unclaim(w, ep, e.id);
  for (const k of gone) {
    ep.processKeys.delete(k);
    const list = w.procEpisodes.get(k)?.filter((id) => id !== ep.id);
    if (list?.length) w.procEpisodes.set(k, list);
    else w.procEpisodes.delete(k);
  }
}

/** Takes an event back out of an episode (with its edges and signals). */
function unclaim(w: WorkloadState, ep: EpisodeState, eventId: string): void {
  if (!ep.evidence.delete(eventId)) return;
  for (const [k, e] of ep.edges) if (e.from === eventId || e.to === eventId) ep.edges.delete(k);
  for (const [k, s] of ep.signals) if (s.eventId === eventId) ep.signals.delete(k);
  ep.removed = (ep.removed ?? 0) + 1;
  ep.facets = undefined;
  w.dirty.add(ep.id);
}
