/**
 * Process lineage in one workload: which parents are worth waiting for, and which known process an
 * event refers to. Identity is the process key, never a pid alone: a pid names a process only
 * within one container and at one time (alerts from Kubescape and Falco name pids).
 */
import type { RuntimeEvent } from '../model/event.ts';
import type { ProcNode, WorkloadState } from './state.ts';

/** Parents that live outside the container and never arrive as events. */
export const RUNTIME_PARENT = /containerd-shim|\/runc$|conmon|crun|docker-containerd|^\/?init$/;

/**
 * Wait for a parent only when it should still arrive: a Tetragon parent inside the container
 * that started recently. A parent exec'd long before our data (an hour-old server) never will.
 */
export function parentExpected(event: RuntimeEvent, parkingTimeoutMs: number): boolean {
  const p = event.process;
  if (event.source.product !== 'tetragon' || !p?.parentBinary || RUNTIME_PARENT.test(p.parentBinary)) return false;
  return p.parentStartTime === undefined || event.time - p.parentStartTime <= parkingTimeoutMs;
}

/** alerted: the process an event names, by key or (a runtime alert) by pid in the same container. */
export function processForAlert(w: WorkloadState, event: RuntimeEvent): ProcNode | undefined {
  const p = event.process;
  if (!p) return undefined;
  return (
    w.processes.get(p.key) ??
    (p.pid !== undefined ? w.processByPid(event.workload.containerId, p.pid, event.time) : undefined)
  );
}
