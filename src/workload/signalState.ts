/**
 * The workload's answers to stateful rules (`SignalState`): first-seen keys, tags seen before,
 * profile deviations and tool-risk jumps within an agent turn. Built once per pod; the closures
 * read the workload's live state, so the answer is always current.
 */
import type { SignalEngine, SignalState } from '../signals/engine.ts';
import { protocolStateOf } from '../signals/protocolBaselines.ts';
import { turnEpisodeId } from './episodes.ts';
import { treeOf } from './lineage.ts';
import type { WorkloadState } from './state.ts';

/** The signal state of one pod of a workload, cached on the workload. */
export function workloadSignalState(
  w: WorkloadState,
  pod: string,
  signals: SignalEngine,
  learningPeriodMs: number,
): SignalState {
  const cached = w.signalStates.get(pod) as SignalState | undefined;
  if (cached) return cached;
  const state: SignalState = {
    firstSeen: (per, event, key) => {
      const scoped = per === 'agent' ? `${event.trace?.agentName ?? event.workload.serviceName ?? '-'}|${key}` : key;
      if (w.firstSeenKeys.has(scoped)) return false;
      w.firstSeenKeys.set(scoped, event.time);
      return event.time >= w.firstSeen + learningPeriodMs;
    },
    // An `after` rule pairs events of one process tree (a read, then the same tree's egress): two
    // unrelated processes that happen to share a pod are not one act.
    taggedBefore: (tags, withinMs, event) => {
      const root = treeOf(w, event);
      for (let i = w.tagged.length - 1; i >= 0; i--) {
        const hit = w.tagged[i]!;
        if (
          hit.pod === pod &&
          (hit.root === undefined || root === undefined || hit.root === root) &&
          tags.includes(hit.tag) &&
          hit.time <= event.time &&
          event.time - hit.time <= withinMs &&
          hit.eventId !== event.id
        )
          return { eventId: hit.eventId, tag: hit.tag };
      }
      return undefined;
    },
    routine: (kind, event) => w.profiles.routine(kind, event),
    // Made when a protocol rule first asks: most workloads serve no MCP traffic.
    get protocol() {
      return protocolStateOf(w);
    },
    deviation: (kind, event, profile) => {
      const d = w.profiles.deviation(kind, event);
      return d && (!profile || d.profile === profile) ? `${d.value}: ${d.evidence}` : undefined;
    },
    toolJump: (event) => {
      const turn = event.trace?.traceId ? w.episodes.get(turnEpisodeId(w, event.trace.traceId)) : undefined;
      if (!turn) return undefined;
      for (const other of turn.evidence.values()) {
        const name = other.trace?.toolName;
        if (other.id !== event.id && name && other.time <= event.time && signals.toolRisk(name) === 'benign')
          return name;
      }
      return undefined;
    },
  };
  w.signalStates.set(pod, state);
  return state;
}
