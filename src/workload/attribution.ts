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
import { addEdge, addEvidence, edge, NO_EPISODES, reasonFor } from './episodes.ts';
import { isService, resolveProcess, RUNTIME_PARENT, type ResolvedProcess } from './lineage.ts';
import type { EpisodeState, WorkloadState } from './state.ts';

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
  for (const ep of candidates) {
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
  return true;
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
    return parent.mcpServer === true;
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
    if (proc) return proc.mcpServer === true;
    return !w.mainProcesses.has(p.key) && p.parentKey !== undefined && w.mainProcesses.has(p.parentKey);
  }
  const servers = w.servers(event.workload.containerId);
  if (servers.has(p.key) || w.mainProcesses.has(p.key)) return true;
  if (proc) return proc.service === true || isService(w, proc, event.time);
  // A process we never saw start (it predates our data): the long-running server, unless it has a
  // parent of its own we know of.
  return !p.parentKey || !w.processes.has(p.parentKey);
}

/** Inside the call's window (with slack), in the call's container when both are known. */
function inWindow(ep: EpisodeState, event: RuntimeEvent): boolean {
  return (
    event.time >= ep.start - SPAN_SLACK_MS &&
    event.time <= ep.end + SPAN_SLACK_MS &&
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
    if (
      ids.has(ep.id) ||
      (ep.pod === pod && event.time >= ep.start - SPAN_SLACK_MS && event.time <= ep.end + SPAN_SLACK_MS)
    )
      out.push(ep);
  }
  return out;
}

/** Container ids compare by prefix: some sources give only the first 12 characters. */
function sameContainer(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}
