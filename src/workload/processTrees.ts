/**
 * Process-tree episodes (DESIGN §4.1 "one process tree, one story"): signals outside any tool call
 * gather per process tree (see lineage.treeRoot), and once a tree has an episode it holds the
 * tree's processes and their notable effects, whenever they run — the reverse shell, the recon
 * commands it starts, its connections, every alert on any of them. Processes of other trees in the
 * same container stay out.
 */
import type { RuntimeEvent } from '../model/event.ts';
import { addEdge, addEvidence, edge, reasonFor } from './episodes.ts';
import {
  ATTRIBUTION_LOOKBACK_MS,
  newEpisodeState,
  type EpisodeState,
  type ProcNode,
  type WorkloadState,
} from './state.ts';

/** Effects of a tree's processes that join its episode without a signal of their own. */
const NOTABLE = new Set(['network.connect', 'network.listen', 'dns.query', 'file.write']);

/** Notable effects remembered per process for a tree episode that opens later. */
const MAX_EFFECTS = 8;

/** Tree processes adopted when an episode opens (a scan of the pod's processes, bounded). */
const MAX_ADOPTED = 64;

export function treeEpisodeId(w: WorkloadState, pod: string, rootKey: string): string {
  return `ep:signal:${w.key}:${pod}:${rootKey}`;
}

/**
 * The tree episode of a process (or, for an event whose process is unknown, of that process key or
 * the pod), created when missing. A new episode adopts the tree's known processes: a signal on a
 * later process still shows the siblings that ran before it.
 */
export function treeEpisode(
  w: WorkloadState,
  pod: string,
  proc: ProcNode | undefined,
  fallbackKey: string,
  time: number,
): EpisodeState {
  const rootKey = proc?.rootKey ?? proc?.key ?? fallbackKey;
  const id = w.treeAlias.get(rootKey) ?? treeEpisodeId(w, proc?.pod ?? pod, rootKey);
  let ep = w.episodes.get(id);
  if (ep) return ep;
  ep = newEpisodeState(id, 'signal', proc?.pod ?? pod, time);
  ep.rootKey = rootKey;
  w.episodes.set(id, ep);
  w.treeEpisodes++;
  const root = proc ? w.processes.get(rootKey) : undefined;
  if (proc && root && !root.service && !root.mcpServer && !w.mainProcesses.has(rootKey))
    adoptTree(w, ep, rootKey, proc.pod ?? pod);
  return ep;
}

/** Adds the known processes of a tree to its new episode, root first, with their spawn edges. */
function adoptTree(w: WorkloadState, ep: EpisodeState, rootKey: string, pod: string): void {
  const members: ProcNode[] = [];
  for (const key of w.podProcesses.get(pod) ?? []) {
    const p = w.processes.get(key);
    if (p && (p.rootKey ?? p.key) === rootKey) members.push(p);
    if (members.length >= MAX_ADOPTED) break;
  }
  members.sort((a, b) => a.start - b.start);
  for (const p of members) joinProcess(w, ep, p);
}

/** A process joins a tree episode: its exec, and the edge from its parent (or nearest ancestor) in the episode. */
export function joinProcess(w: WorkloadState, ep: EpisodeState, proc: ProcNode): void {
  if (!proc.exec) return;
  if (!ep.evidence.has(proc.exec.id)) {
    ep.processKeys.add(proc.key);
    w.ownEpisode(proc.key, ep.id);
    addEvidence(ep, proc.exec, w.limits.maxEvidence, true);
    const parent = proc.parentKey ? w.processes.get(proc.parentKey) : undefined;
    if (parent?.exec && ep.processKeys.has(parent.key))
      addEdge(ep, edge(parent.exec.id, proc.exec.id, 'spawned', 'exec_id → parent_exec_id'));
    else {
      const ancestor = nearestMember(w, ep, proc);
      if (ancestor?.exec)
        addEdge(ep, edge(ancestor.exec.id, proc.exec.id, 'descendant-of', 'the same process tree (parent not seen)'));
    }
  }
  for (const effect of proc.effects ?? []) addEffect(w, ep, proc, effect);
  ep.lastActive = Math.max(ep.lastActive, proc.exec.time);
  w.dirty.add(ep.id);
}

function addEffect(w: WorkloadState, ep: EpisodeState, proc: ProcNode, event: RuntimeEvent): boolean {
  if (!proc.exec || !addEvidence(ep, event, w.limits.maxEvidence)) return false;
  addEdge(ep, edge(proc.exec.id, event.id, reasonFor(event), 'same process'));
  ep.lastActive = Math.max(ep.lastActive, event.time);
  w.dirty.add(ep.id);
  return true;
}

/** Processes whose exec is awaited with effects remembered (see WorkloadState.orphanEffects). */
const MAX_ORPHAN_EFFECTS = 256;

/**
 * Remembers a process's notable effect (see ProcNode.effects). An effect of a process whose exec
 * has not arrived (it came minutes late, past the parking timeout) is kept for it, bounded: the
 * exec takes it over (adoptOrphanEffects), so the tree episode it joins shows what it did before.
 */
export function rememberEffect(w: WorkloadState, event: RuntimeEvent): void {
  if (!NOTABLE.has(event.kind) || !event.process) return;
  const proc = w.processes.get(event.process.key);
  // Only a process young enough that its exec may still come: not the long-running ones whose
  // exec predates the stream (most effects), which would only churn the map.
  const start = event.process.startTime;
  if (!proc && (start === undefined || event.time - start > ATTRIBUTION_LOOKBACK_MS)) return;
  let effects = proc ? (proc.effects ??= []) : w.orphanEffects.get(event.process.key);
  if (!effects) {
    w.orphanEffects.set(event.process.key, (effects = []));
    while (w.orphanEffects.size > MAX_ORPHAN_EFFECTS) w.orphanEffects.delete(w.orphanEffects.keys().next().value!);
  }
  if (effects.length >= MAX_EFFECTS) effects.shift();
  effects.push(event);
}

/** A process started: the effects remembered before its exec arrived are its own now. */
export function adoptOrphanEffects(w: WorkloadState, proc: ProcNode): void {
  const early = w.orphanEffects.get(proc.key);
  if (!early) return;
  w.orphanEffects.delete(proc.key);
  proc.effects = [...early, ...(proc.effects ?? [])].slice(-MAX_EFFECTS);
}

/**
 * An event of a process whose tree has an episode joins it: a new process of the tree, or a
 * notable effect (a connection, a DNS lookup, a written file). Returns the episode it joined.
 */
export function growTree(w: WorkloadState, event: RuntimeEvent): EpisodeState | undefined {
  const p = event.process;
  if (!p || w.treeEpisodes === 0) return undefined;
  const proc = w.processes.get(p.key);
  if (!proc) return undefined;
  const rootKey = proc.rootKey ?? proc.key;
  const ep = w.episodes.get(w.treeAlias.get(rootKey) ?? treeEpisodeId(w, proc.pod ?? '-', rootKey));
  if (!ep) return undefined;
  // A service's own episode (a signal on the server or the container's main process itself) holds
  // that event, not everything the service does for the rest of its life.
  const root = w.processes.get(rootKey);
  if (!root || root.service || root.mcpServer || w.mainProcesses.has(root.key)) return undefined;
  if (event.kind === 'process.exec') {
    joinProcess(w, ep, proc);
    return ep;
  }
  if (!NOTABLE.has(event.kind) || !ep.processKeys.has(proc.key)) return undefined;
  return addEffect(w, ep, proc, event) ? ep : undefined;
}

/** The closest ancestor of `proc` already in the episode. */
function nearestMember(w: WorkloadState, ep: EpisodeState, proc: ProcNode): ProcNode | undefined {
  let node = proc.parentKey ? w.processes.get(proc.parentKey) : undefined;
  for (let depth = 0; node && depth < 32; depth++) {
    if (ep.processKeys.has(node.key)) return node;
    node = node.parentKey ? w.processes.get(node.parentKey) : undefined;
  }
  return undefined;
}

/**
 * A tree episode that stands for a service's own work (its root is a server, a container's main
 * process, or a process we never saw start): it holds signals on single events, never a story of
 * its own, so an event it holds goes to the tool call that later turns out to own it.
 */
export function isServiceTree(w: WorkloadState, ep: EpisodeState): boolean {
  if (ep.kind !== 'signal' || ep.rootKey === undefined) return false;
  const root = w.processes.get(ep.rootKey);
  return !root || root.service === true || root.mcpServer === true || w.mainProcesses.has(root.key);
}
