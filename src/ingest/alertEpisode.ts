/**
 * An event that names no workload (a Defender for AI alert, a cluster-level alert) skips the
 * workload stage: stage ① wraps it in an episode of its own for the story stage.
 */
import type { Episode } from '../model/episode.ts';
import type { RuntimeEvent } from '../model/event.ts';
import type { SignalEngine } from '../signals/engine.ts';

const NO_ROLES: ReadonlySet<never> = new Set();

export function alertEpisode(event: RuntimeEvent, signals: SignalEngine): Episode {
  const a = event.alert;
  const sourceIp = a?.sourceIp;
  const evaluated = signals.evaluate(event, { inToolCall: false, workloadRoles: NO_ROLES });
  return {
    id: `ep:alert:${event.id}`,
    version: 1 + evaluated.length,
    kind: event.layer === 'prompt' ? 'prompt-alert' : 'signal',
    cluster: event.workload.cluster ?? '',
    workloadKey: '',
    workload: event.workload,
    start: event.time,
    end: event.time,
    traceIds: event.trace?.traceId ? [event.trace.traceId] : [],
    mcpSessionIds: [],
    conversationIds: [],
    agentNames: [],
    toolNames: [],
    podIps: [],
    clientIps: [],
    endUsers: a?.endUser ? [a.endUser] : [],
    promptContext: a ? { applicationName: a.applicationName, sourceIp, endUser: a.endUser } : undefined,
    signals: evaluated,
    evidence: [event],
    edges: [],
    elided: 0,
  };
}
