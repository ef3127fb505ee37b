/**
 * The parking area (as in Tetragon): events that arrive before the process they name wait here,
 * bounded in number and in event time, then go on when that process arrives, or with the gap
 * recorded when it never does. Three kinds wait: children for their parent's exec (keyed by the
 * parent's process key), a process's effects for its own exec (keyed by its key) and runtime alerts
 * for the process they name by pid.
 */
import type { RuntimeEvent } from '../model/event.ts';
import { execExpected, parentExpected, resolveProcess } from './lineage.ts';
import type { WorkloadState } from './state.ts';

/** What parking needs from the stage. */
export interface ParkingEnv {
  parkingTimeoutMs: number;
  /** Parked events per workload; past it the oldest group goes on with the gap recorded. */
  maxParked: number;
  /** Workloads with parked events, so each batch checks only those for parking timeouts. */
  parkedIn: Set<WorkloadState>;
  /** The stage's handling of one event; `gap` records that what it waited for never arrived. */
  handle(w: WorkloadState, event: RuntimeEvent, gap: boolean): void;
  /** The workload's event time. */
  timeOf(w: WorkloadState): number;
}

/** Parks the event when it must wait for a process not seen yet; false when it can go on now. */
export function parkIfWaiting(w: WorkloadState, event: RuntimeEvent, env: ParkingEnv): boolean {
  const p = event.process;
  if (p && w.parkedProcesses.has(p.key)) {
    park(w, event, w.parked.has(p.parentKey ?? '') ? p.parentKey! : p.key, env);
    return true;
  }
  if (
    event.kind === 'process.exec' &&
    p?.parentKey &&
    !w.processes.has(p.parentKey) &&
    parentExpected(event, env.parkingTimeoutMs)
  ) {
    park(w, event, p.parentKey, env);
    return true;
  }
  // An effect of a process whose exec has not arrived yet waits for it, so it joins what the process
  // joins (a tree episode that opens later shows the file it wrote before).
  if (p && !w.processes.has(p.key) && execExpected(event, env.parkingTimeoutMs)) {
    park(w, event, p.key, env);
    return true;
  }
  // A runtime alert that names a process we have not seen start yet (it came first through
  // another partition or sensor) waits for it up to the parking timeout, as children wait for
  // parents: then it is `alerted` to that process, not a story of its own.
  if (event.kind === 'alert' && p?.pid !== undefined && !resolveProcess(w, event, { ancestors: false })) {
    parkAlert(w, event, env);
    return true;
  }
  return false;
}

/** Releases what waits for this exec: its children (by process key) and alerts (by pid). */
export function releaseWaitingOn(w: WorkloadState, exec: RuntimeEvent, gap: boolean, env: ParkingEnv): void {
  const p = exec.process!;
  if (w.parked.has(p.key)) release(w, p.key, gap, env);
  if (p.pid !== undefined && w.parked.size) {
    for (const key of [
      pidKey(exec.workload.containerId, undefined, p.pid),
      pidKey(undefined, exec.workload.pod, p.pid),
    ])
      if (w.parked.has(key)) release(w, key, gap, env);
  }
}

/** Releases, with the gap recorded, what has waited past the parking timeout; true if anything went on. */
export function releaseExpired(w: WorkloadState, env: ParkingEnv): boolean {
  if (!w.parked.size) {
    env.parkedIn.delete(w);
    return false;
  }
  let released = false;
  for (const [parentKey, entry] of [...w.parked]) {
    if (env.timeOf(w) - entry.since >= env.parkingTimeoutMs) {
      release(w, parentKey, true, env);
      released = true;
    }
  }
  return released;
}

/** Releases every parked event (end of a replay), with the gap recorded. */
export function releaseAll(w: WorkloadState, env: ParkingEnv): void {
  for (const parentKey of [...w.parked.keys()]) release(w, parentKey, true, env);
}

function parkAlert(w: WorkloadState, alert: RuntimeEvent, env: ParkingEnv): void {
  const key = pidKey(alert.workload.containerId, alert.workload.pod, alert.process!.pid!);
  let entry = w.parked.get(key);
  if (!entry) w.parked.set(key, (entry = { since: alert.time, events: [] }));
  env.parkedIn.add(w);
  entry.events.push(alert);
}

function park(w: WorkloadState, event: RuntimeEvent, parentKey: string, env: ParkingEnv): void {
  let entry = w.parked.get(parentKey);
  if (!entry) w.parked.set(parentKey, (entry = { since: event.time, events: [] }));
  env.parkedIn.add(w);
  entry.events.push(event);
  // A parked exec parks its process: its later events wait with it. (An effect waiting for its
  // own exec does not: the exec must go on and release it.)
  if (event.kind === 'process.exec' && event.process) w.parkedProcesses.add(event.process.key);
  let total = 0;
  for (const e of w.parked.values()) total += e.events.length;
  if (total > env.maxParked) {
    const oldest = w.parked.keys().next().value as string;
    release(w, oldest, true, env);
  }
}

/** Children go on, in order; `gap` records that their parent never arrived. */
function release(w: WorkloadState, parentKey: string, gap: boolean, env: ParkingEnv): void {
  const entry = w.parked.get(parentKey);
  if (!entry) return;
  w.parked.delete(parentKey);
  for (const e of entry.events) if (e.process) w.parkedProcesses.delete(e.process.key);
  for (const e of entry.events) {
    env.handle(w, e, gap);
    if (e.kind === 'process.exec' && e.process) releaseWaitingOn(w, e, gap, env);
  }
}

/**
 * The parking key of alerts waiting for the process a pid names: in a container, or in a pod for
 * sources that name no container id (Defender).
 */
function pidKey(containerId: string | undefined, pod: string | undefined, pid: number): string {
  return containerId ? `pid:${containerId.slice(0, 12)}:${pid}` : `pid:pod:${pod ?? '-'}:${pid}`;
}
