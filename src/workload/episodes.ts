/** Episode state: ids, adding evidence, edges and signals, and turning state into Episodes. */
import type { Edge, Episode, Signal } from '../model/episode.ts';
import type { RuntimeEvent } from '../model/event.ts';
import { addFacet } from './emitPacing.ts';
import { episodeVersion, type EpisodeState, type WorkloadState } from './state.ts';

/** Adds an event; past the cap only signal-bearing events get in, the rest are counted as elided. */
export function addEvidence(ep: EpisodeState, event: RuntimeEvent, maxEvidence: number, force = false): boolean {
  if (ep.evidence.has(event.id)) return false;
  if (!force && ep.evidence.size >= maxEvidence) {
    ep.elided++;
    return false;
  }
  ep.evidence.set(event.id, event);
  addFacet(ep, 'k', event.kind);
  if (event.time < ep.start) ep.start = event.time;
  if (event.time > ep.end) ep.end = event.time;
  const t = event.trace;
  if (t) {
    if (t.traceId) ep.traceIds.add(t.traceId);
    if (t.mcpSessionId) ep.sessionIds.add(t.mcpSessionId);
    if (t.conversationId) ep.conversationIds.add(t.conversationId);
    if (t.agentName) ep.agentNames.add(t.agentName);
    if (t.toolName) ep.toolNames.add(t.toolName);
    // Who called: inbound server spans, and agent spans that carry the request's client address.
    if (t.clientAddress && (t.spanKind === 'SERVER' || event.kind === 'agent.invoke'))
      ep.clientIps.add(t.clientAddress);
    if (t.endUser) ep.endUsers.add(t.endUser);
    if (t.endTime !== undefined && t.endTime > ep.end) ep.end = t.endTime;
  }
  return true;
}

export function addEdge(ep: EpisodeState, edge: Edge): void {
  if (edge.from === edge.to) return;
  const key = `${edge.from}>${edge.to}>${edge.reason}`;
  if (ep.edges.has(key)) return;
  ep.edges.set(key, edge);
  addFacet(ep, 'r', edge.reason);
}

export function addSignal(ep: EpisodeState, signal: Signal, event: RuntimeEvent, maxEvidence: number): void {
  addEvidence(ep, event, maxEvidence, true);
  if (ep.signals.has(signal.id)) return;
  ep.signals.set(signal.id, signal);
  addFacet(ep, 's', signal.ruleId);
}

const byTimeThenId = (a: { time: number; id: string }, b: { time: number; id: string }) =>
  a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The episode as the story stage receives it, with every list in a deterministic order. */
export function toEpisode(ep: EpisodeState, w: WorkloadState, version: number): Episode {
  const podIps = [...(w.podIps.get(ep.pod) ?? [])].sort();
  return {
    id: ep.id,
    version,
    kind: ep.kind,
    cluster: w.identity.cluster ?? '',
    workloadKey: w.key,
    workload: { ...w.identity, pod: ep.pod === '-' ? w.identity.pod : ep.pod },
    start: ep.start,
    end: ep.end,
    traceIds: [...ep.traceIds].sort(),
    mcpSessionIds: [...ep.sessionIds].sort(),
    conversationIds: [...ep.conversationIds].sort(),
    agentNames: [...ep.agentNames].sort(),
    toolNames: [...ep.toolNames].sort(),
    podIps,
    clientIps: [...ep.clientIps].sort(),
    endUsers: [...ep.endUsers].sort(),
    signals: [...ep.signals.values()].sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1)),
    evidence: [...ep.evidence.values()].sort(byTimeThenId),
    edges: [...ep.edges.values()].sort((a, b) => (a.from + a.to + a.reason < b.from + b.to + b.reason ? -1 : 1)),
    elided: ep.elided,
    ...(ep.servedBy?.size ? { servedBy: [...ep.servedBy].sort() } : {}),
    ...(rootSignalled(ep, w) ? { rootProcess: ep.rootKey } : {}),
  };
}

/**
 * A tree episode names its root for the `server:` link (a tool call and a signal on the process that
 * served it) only when a signal is on the root's own start (a server from a new image), not on what
 * the root did later: a service's in-process work must not tie its calls together.
 */
function rootSignalled(ep: EpisodeState, w: WorkloadState): boolean {
  if (ep.rootKey === undefined) return false;
  const execId = w.processes.get(ep.rootKey)?.exec?.id;
  return execId !== undefined && [...ep.signals.values()].some((s) => s.eventId === execId);
}

/** The episode's version if it changed since it was last emitted, else undefined. */
export function pendingVersion(ep: EpisodeState, w: WorkloadState): number | undefined {
  const v = episodeVersion(ep, w.podIps.get(ep.pod)?.size ?? 0);
  return v > ep.emittedVersion ? v : undefined;
}

/** Shared empty result: never mutated. */
export const NO_EPISODES: readonly EpisodeState[] = Object.freeze([]) as readonly EpisodeState[];

/** The agent-turn episode of one trace in a workload. */
export function turnEpisodeId(w: WorkloadState, traceId: string): string {
  return `ep:turn:${w.key}:${traceId}`;
}

/** The tool episode an MCP server span opens. */
export function toolEpisodeId(w: WorkloadState, span: RuntimeEvent): string {
  return `ep:tool:${w.key}:${span.trace?.traceId ?? '-'}:${span.trace?.spanId ?? span.id}`;
}

/** An edge between two events: the cause, the effect, why, and which keys matched. */
export function edge(from: string, to: string, reason: Edge['reason'], detail: string): Edge {
  return { from, to, reason, detail };
}

/** Why an event is linked to the exec of its own process. */
export function reasonFor(event: RuntimeEvent): Edge['reason'] {
  if (event.kind === 'dns.query') return 'resolved';
  if (event.layer === 'network') return 'connected';
  if (event.kind === 'alert') return 'alerted';
  return 'accessed';
}
