/**
 * A parent that arrives after its children (sensors deliver out of order; the children waited in
 * the parking area and went on without it): when a tool call claims the parent, it claims the
 * subtrees that were waiting for it too, oldest process first, with what each did before and the
 * signals they raised — the same story as when the parent came first (DESIGN §4.1).
 */
import type { RuntimeEvent } from '../model/event.ts';
import { attribute, takeSignals } from './attribution.ts';
import { evaluate, type FilingEnv } from './signalFiling.ts';
import type { EpisodeState, ProcNode, WorkloadState } from './state.ts';

export function claimLateChildren(
  w: WorkloadState,
  owners: readonly EpisodeState[],
  children: readonly ProcNode[],
  pod: string,
  env: FilingEnv,
): void {
  for (const ep of owners) {
    if (ep.kind !== 'tool') continue;
    for (const child of children) {
      if (!child.exec || ep.processKeys.has(child.key)) continue;
      claim(w, ep, child.exec, pod, env);
    }
  }
}

function claim(w: WorkloadState, ep: EpisodeState, exec: RuntimeEvent, pod: string, env: FilingEnv): void {
  const owners = attribute(w, exec, pod, true, ep);
  if (!owners.includes(ep)) return;
  takeSignals(w, ep, exec);
  evaluate(w, exec, pod, owners, env, true);
}
