/**
 * Repairs for what arrives later than the parking area waits (DESIGN §4.1: an alert "belongs to the
 * story of that process, whenever it arrives"; arrival order never changes the story):
 * - an alert released without its process (it came minutes before the process, or the process
 *   is late) is remembered by the pid it names; when the process starts, the alert and its signals
 *   join that process's episodes (the standalone alert's episode shares the signals, so the story
 *   stage joins the two);
 * - a process whose parent had not arrived rooted a tree of its own; when the parent arrives, the
 *   child's tree becomes part of the parent's (its episode is kept under the parent's root).
 * Both are bounded per workload and forgotten past the allowed lateness.
 */
import type { RuntimeEvent } from '../model/event.ts';
import { addEdge, addEvidence, addSignal, edge } from './episodes.ts';
import { isService, resolveProcess, RUNTIME_PARENT } from './lineage.ts';
import { isServiceTree, joinProcess, treeEpisode, treeEpisodeId } from './processTrees.ts';
import type { EpisodeState, ProcNode, WorkloadState } from './state.ts';

/** Orphan alerts and orphan children remembered per workload. */
const MAX_ORPHANS = 512;

/** An alert that named a process we did not know, kept until the process starts. */
export function rememberOrphanAlert(w: WorkloadState, alert: RuntimeEvent, episodeId: string): void {
  const p = alert.process;
  if (p?.pid === undefined) return;
  for (const key of pidKeys(alert.workload.containerId, alert.workload.pod, p.pid)) {
    const list = w.orphanAlerts.get(key) ?? [];
    if (list.some((o) => o.alert.id === alert.id)) continue;
    list.push({ alert, episodeId });
    w.orphanAlerts.set(key, list);
  }
  while (w.orphanAlerts.size > MAX_ORPHANS) w.orphanAlerts.delete(w.orphanAlerts.keys().next().value!);
}

/** A process started: alerts that named it before it arrived join its episodes, with their signals. */
export function adoptOrphanAlerts(w: WorkloadState, exec: RuntimeEvent, pod: string): void {
  const p = exec.process;
  if (p?.pid === undefined || !w.orphanAlerts.size) return;
  const proc = w.processes.get(p.key);
  if (!proc?.exec) return;
  for (const key of pidKeys(exec.workload.containerId, exec.workload.pod, p.pid)) {
    const waiting = w.orphanAlerts.get(key);
    if (!waiting) continue;
    w.orphanAlerts.delete(key);
    for (const { alert, episodeId } of waiting) {
      const resolved = resolveProcess(w, alert, { ancestors: false });
      if (resolved?.proc.key !== proc.key) continue;
      const orphan = w.episodes.get(episodeId);
      const signals = [...(orphan?.signals.values() ?? [])].filter((s) => s.eventId === alert.id);
      for (const ep of homesOf(w, proc, pod, alert.time)) {
        for (const s of signals) addSignal(ep, s, alert, w.limits.maxEvidence);
        addEvidence(ep, alert, w.limits.maxEvidence, true);
        addEdge(ep, edge(proc.exec.id, alert.id, 'alerted', `${alert.source.product} names ${resolved.via}`));
        ep.lastActive = Math.max(ep.lastActive, alert.time);
        w.dirty.add(ep.id);
      }
    }
  }
}

/** The episodes a process's alert belongs to: its tool calls, else its tree. */
function homesOf(w: WorkloadState, proc: ProcNode, pod: string, time: number): EpisodeState[] {
  const owned = (w.procEpisodes.get(proc.key) ?? [])
    .map((id) => w.episodes.get(id))
    .filter((e): e is EpisodeState => !!e);
  return owned.length ? owned : [treeEpisode(w, pod, proc, proc.key, time)];
}

/**
 * Members of each orphan list, beside it: a long-running parent that never execs in the stream
 * (a container's main process) collects one child per exec, and `includes` on that list made each
 * exec cost its length. The list stays the snapshot's form; the set is rebuilt on first use.
 */
const members = new WeakMap<string[], Set<string>>();

function listed(list: string[], key: string): boolean {
  let set = members.get(list);
  if (!set) members.set(list, (set = new Set(list)));
  if (set.has(key)) return true;
  set.add(key);
  return false;
}

/** Whether `key` is remembered as an orphan waiting for the process `parentKey`. */
export function isOrphanOf(w: WorkloadState, parentKey: string, key: string): boolean {
  const list = w.orphanChildren.get(parentKey);
  if (!list) return false;
  let set = members.get(list);
  if (!set) members.set(list, (set = new Set(list)));
  return set.has(key);
}

/** A process whose parent is not known yet (and is not the runtime): remembered by the parent's key. */
export function rememberOrphan(w: WorkloadState, proc: ProcNode, exec: RuntimeEvent): void {
  const p = exec.process!;
  if (!p.parentKey || w.processes.has(p.parentKey)) return;
  if (p.parentBinary !== undefined && RUNTIME_PARENT.test(p.parentBinary)) return;
  const list = w.orphanChildren.get(p.parentKey) ?? [];
  if (!listed(list, proc.key)) list.push(proc.key);
  w.orphanChildren.set(p.parentKey, list);
  while (w.orphanChildren.size > MAX_ORPHANS) w.orphanChildren.delete(w.orphanChildren.keys().next().value!);
}

/**
 * The parent of earlier orphans arrived: unless it is a service, their trees are its tree now. Each
 * orphan's subtree takes the parent's root, and an episode the orphan's tree had is kept as the
 * parent tree's episode (or, when the parent's tree has one too, the parent joins it as well).
 * Returns the processes of those subtrees, oldest first (the tool call that claims the parent
 * claims them too: see lateChildren).
 */
export function adoptOrphans(w: WorkloadState, parent: ProcNode): ProcNode[] {
  const children = w.orphanChildren.get(parent.key);
  if (!children) return [];
  w.orphanChildren.delete(parent.key);
  if (isService(w, parent, parent.start)) return [];
  const newRoot = parent.rootKey ?? parent.key;
  const adopted: ProcNode[] = [];
  // Subtrees without an episode join the parent tree's after every orphan's episode has moved:
  // an earlier sibling must not miss an episode a later one brings.
  const withoutEpisode: ProcNode[][] = [];
  for (const childKey of children) {
    const child = w.processes.get(childKey);
    if (!child || child.rootKey !== child.key || isService(w, parent, child.start)) continue;
    const oldRoot = child.key;
    const subtree: ProcNode[] = [];
    for (const key of w.podProcesses.get(child.pod ?? '-') ?? []) {
      const p = w.processes.get(key);
      if (p?.rootKey !== oldRoot) continue;
      p.rootKey = newRoot;
      subtree.push(p);
    }
    adopted.push(...subtree);
    const pod = child.pod ?? '-';
    const childEpisode = w.episodes.get(w.treeAlias.get(oldRoot) ?? treeEpisodeId(w, pod, oldRoot));
    const parentEpisodeId = w.treeAlias.get(newRoot) ?? treeEpisodeId(w, pod, newRoot);
    if (!childEpisode) {
      withoutEpisode.push(subtree);
      continue;
    }
    if (!w.episodes.has(parentEpisodeId)) w.treeAlias.set(newRoot, childEpisode.id);
    joinProcess(w, childEpisode, parent);
    const parentEpisode = w.episodes.get(parentEpisodeId);
    // Both trees had episodes: the parent is in both, so the story stage joins them (process key).
    if (parentEpisode && parentEpisode !== childEpisode) joinProcess(w, parentEpisode, child);
  }
  // The parent's tree has an episode (its own, or one an orphan brought): the subtree grows it, as
  // if it had come in order.
  const treeEp = w.episodes.get(w.treeAlias.get(newRoot) ?? treeEpisodeId(w, parent.pod ?? '-', newRoot));
  if (treeEp && !isServiceTree(w, treeEp) && withoutEpisode.length) {
    joinProcess(w, treeEp, parent);
    for (const p of withoutEpisode.flat().sort((a, b) => a.start - b.start)) joinProcess(w, treeEp, p);
  }
  return adopted.sort((a, b) => a.start - b.start);
}

/**
 * A process whose own events came before its exec had an episode of its own (named by its key);
 * now that it is known to belong to a larger tree, that episode holds its exec too, so the story
 * stage joins it with the tree's (the same process in both).
 */
export function joinEarlierEpisode(w: WorkloadState, proc: ProcNode): void {
  if ((proc.rootKey ?? proc.key) === proc.key) return;
  const early = w.episodes.get(treeEpisodeId(w, proc.pod ?? '-', proc.key));
  if (early) joinProcess(w, early, proc);
}

function pidKeys(containerId: string | undefined, pod: string | undefined, pid: number): string[] {
  const keys: string[] = [];
  if (containerId) keys.push(`${containerId.slice(0, 12)}:${pid}`);
  if (pod) keys.push(`pod:${pod}:${pid}`);
  return keys;
}
