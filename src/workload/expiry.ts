/**
 * Expiry of a workload's state in event time: what can no longer join an episode or answer a rule
 * is forgotten, so state stays bounded by time as well as by the caps in `StateLimits`.
 */
import { isOrphanOf } from './lateArrivals.ts';
import { ATTRIBUTION_LOOKBACK_MS, type WorkloadState } from './state.ts';

/** A process that exited this long ago (event time) and belongs to no episode is forgotten. */
const EXITED_TTL_MS = 60_000;
/** An exited orphan is kept this long for its parent (the parent's exec may arrive that late). */
const ORPHAN_TTL_MS = ATTRIBUTION_LOOKBACK_MS;
/** Long-lived processes looked at per expiry pass. */
const IDLE_SCAN = 64;
/** How often (event time) a workload's state is swept for expired entries. */
const EXPIRE_EVERY_MS = 5_000;

/**
 * Forgets what can no longer matter: exited processes, old buffers, closed episodes, old tags,
 * old dedupe ids. `now` is the workload's event time. Runs at most every EXPIRE_EVERY_MS of event
 * time per workload (unless `force`) and never scans more than it removes (plus the buffers).
 */
export function expire(w: WorkloadState, now: number, allowedLatenessMs: number, force = false): void {
  if (!force && now - w.lastExpired < EXPIRE_EVERY_MS) return;
  w.lastExpired = now;
  const horizon = now - allowedLatenessMs;
  let n = 0;
  const waiting: { key: string; at: number }[] = [];
  while (n < w.exited.length && now - w.exited[n]!.at > EXITED_TTL_MS) {
    const { key } = w.exited[n++]!;
    const p = w.processes.get(key);
    if (p?.exited === undefined || w.procEpisodes.has(key)) continue;
    // An orphan waits for its parent's exec, which may come minutes late: its tree is the parent's.
    if (awaitsParent(w, key) && now - p.exited < ORPHAN_TTL_MS) waiting.push({ key, at: now });
    else w.removeProcess(key);
  }
  if (n) w.exited.splice(0, n);
  // Checked again after another TTL (`now` is at least every exit time: the list stays in order).
  w.exited.push(...waiting);
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
  for (const ep of [...w.episodes.values()]) if (ep.lastActive < horizon && !w.dirty.has(ep.id)) w.removeEpisode(ep.id);
  if (w.tagged.length && w.tagged[0]!.time < horizon) w.tagged = w.tagged.filter((t) => t.time >= horizon);
  for (const [key, list] of w.orphanAlerts) {
    const young = list.filter((o) => o.alert.time >= horizon);
    if (!young.length) w.orphanAlerts.delete(key);
    else if (young.length < list.length) w.orphanAlerts.set(key, young);
  }
  // The dedupe map is in arrival order, which follows event time closely: stop at the first young id.
  for (const [k, t] of w.seen.entries()) {
    if (t >= horizon) break;
    w.seen.delete(k);
  }
}

/** The process's parent has not arrived, and it is remembered as one of that parent's orphans. */
function awaitsParent(w: WorkloadState, key: string): boolean {
  const parentKey = w.processes.get(key)?.parentKey;
  return parentKey !== undefined && !w.processes.has(parentKey) && isOrphanOf(w, parentKey, key);
}
