/**
 * ran-in-tool (DESIGN §4): which MCP tool calls own a kernel event. A process belongs to a tool
 * call when it started inside the call's window in the same container, or descends from one that
 * did; file, network and alert events belong to their process's tool calls, or to a call whose
 * window they fall in. Each claim adds the edge that explains it.
 */
import type { RuntimeEvent } from '../model/event.ts';
import { addEdge, addEvidence, edge, NO_EPISODES, reasonFor } from './episodes.ts';
import { processForAlert } from './lineage.ts';
import type { EpisodeState, ProcNode, WorkloadState } from './state.ts';

/** Slack around a tool span: kernel and span clocks differ by a few milliseconds. */
export const SPAN_SLACK_MS = 250;

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
  // An alert names its process by pid: resolve it to the process we know.
  const alerted = event.kind === 'alert' ? processForAlert(w, event) : undefined;
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

/** A process exec joins a tool call it started in, or whose process is its parent. */
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
  if (!procOwned && !parentOwned && !inWindow(ep, event)) return false;
  ep.processKeys.add(p.key);
  w.ownEpisode(p.key, ep.id);
  addEvidence(ep, event, w.limits.maxEvidence);
  const parent = p.parentKey ? w.processes.get(p.parentKey) : undefined;
  if (parentOwned && parent?.exec) {
    const detail = parentGap ? 'parent_exec_id (parent arrived late)' : 'exec_id → parent_exec_id';
    addEdge(ep, edge(parent.exec.id, event.id, 'spawned', detail));
  } else if (ep.spanEventId)
    addEdge(ep, edge(ep.spanEventId, event.id, 'ran-in-tool', `started during the tool call in pod ${pod}`));
  return true;
}

/** File, network and alert events join their process's tool calls, or one whose window they fall in. */
function claimActivity(
  w: WorkloadState,
  ep: EpisodeState,
  event: RuntimeEvent,
  alerted: ProcNode | undefined,
): boolean {
  const p = event.process;
  const max = w.limits.maxEvidence;
  const procOwned = p ? ep.processKeys.has(p.key) || (alerted !== undefined && ep.processKeys.has(alerted.key)) : false;
  if (!procOwned && !inWindow(ep, event)) return false;
  if (!addEvidence(ep, event, max) && !ep.evidence.has(event.id)) return false;
  const proc = alerted ?? (p ? w.processes.get(p.key) : undefined);
  if (procOwned && proc?.exec) {
    if (!ep.evidence.has(proc.exec.id)) addEvidence(ep, proc.exec, max, true);
    const detail = alerted ? `${event.source.product} named pid ${proc.pid} in the same container` : 'same process';
    addEdge(ep, edge(proc.exec.id, event.id, reasonFor(event), detail));
  } else if (ep.spanEventId) {
    const detail = `during the tool call, by ${p ? 'the server process' : 'the pod'}`;
    addEdge(ep, edge(ep.spanEventId, event.id, 'ran-in-tool', detail));
  }
  return true;
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
