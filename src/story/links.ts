/**
 * Explained links between episodes (DESIGN §4). Workloads join one story only through these:
 * trace context, MCP session, agent conversation, a vendor alert id, or a prompt alert's
 * application / source IP / end user close in time. Being busy at the same time is never a link.
 */
import type { Edge, Episode } from '../model/episode.ts';

export interface Link {
  reason: Edge['reason'];
  detail: string;
  /** Event-level edge for the story graph. */
  edge?: Edge;
}

/** How close in time a prompt alert and an agent turn must be (alert StartTimeUtc is the activity time). */
export const PROMPT_WINDOW_MS = 10 * 60_000;

/** How close a turn's model call must be to a prompt alert's time to be the call it flagged. */
const FLAGGED_CALL_MS = 2_000;

/** Keys an episode is indexed under, each meaning one kind of explained link. */
export function linkKeys(ep: Episode): string[] {
  const keys: string[] = [];
  if (ep.kind !== 'signal' || ep.workloadKey === '') for (const t of ep.traceIds) keys.push(`trace:${t}`);
  // Session and conversation ids are minted by one server or agent: they only mean something
  // within one cluster (trace ids are 128-bit random and global).
  for (const s of ep.mcpSessionIds) keys.push(`session:${ep.cluster}:${s}`);
  if (ep.kind === 'agent-turn')
    for (const c of ep.conversationIds)
      keys.push(`conversation:${ep.cluster}:${ep.agentNames[0] ?? ep.workloadKey}:${c}`);
  for (const e of ep.evidence)
    if (e.kind === 'alert' && e.alert && ep.workloadKey === '') keys.push(`alert:${e.alert.nativeId}`);
  // A signal raised before its tool call's span arrived sits in a signal episode and in the tool
  // episode: the same event, so the same story.
  for (const s of ep.signals) keys.push(`signal:${s.id}`);
  // The same process in two episodes of a workload (a tree whose parent arrived late, a process
  // that outlived its tool call): one process, one story.
  if (ep.kind === 'tool' || ep.kind === 'signal')
    for (const e of ep.evidence) if (e.kind === 'process.exec') keys.push(`process:${e.id}`);
  // A tool call and a signal on the process that served it (a server started from a new image):
  // joined when both hold signals (LinkIndex), never every call the server served.
  for (const k of ep.servedBy ?? []) keys.push(`server:${ep.workloadKey}:${k}`);
  if (ep.rootProcess) keys.push(`server:${ep.workloadKey}:${ep.rootProcess}`);
  return keys;
}

/** The event-level edge for a shared key, from the caller's span to the callee's. */
export function edgeForKey(key: string, a: Episode, b: Episode): Link {
  const [kind, ...rest] = key.split(':');
  const value = rest.join(':');
  if (kind === 'trace') {
    if (a.kind !== 'agent-turn' && b.kind !== 'agent-turn')
      return siblingCall(value, a, b) ?? siblingCall(value, b, a) ?? callLink(value, undefined);
    const [caller, callee] = a.kind === 'agent-turn' ? [a, b] : [b, a];
    const server = callee.evidence.find((e) => e.trace?.traceId === value && e.trace.spanKind === 'SERVER');
    const fromCaller = (e: Episode['evidence'][number]): boolean =>
      e.trace?.traceId === value && e.trace.spanKind !== 'SERVER';
    const client =
      parentOf(server, caller, value) ??
      caller.evidence
        .filter(
          (e) =>
            fromCaller(e) &&
            (e.kind === 'mcp.request' || e.kind === 'tool.execute') &&
            (!server?.trace?.toolName || e.trace?.toolName === server.trace.toolName),
        )
        .at(-1) ??
      (server?.trace?.toolName ? undefined : caller.evidence.find(fromCaller));
    return callLink(value, client, server);
  }
  if (kind === 'server')
    return { reason: 'ran-in-tool', detail: 'the tool call was served by the process the other signal is about' };
  if (kind === 'process') {
    const exec = a.evidence.find((e) => e.id === value);
    return {
      reason: 'descendant-of',
      detail: `the same process${exec?.process?.binary ? ` ${exec.process.binary}` : ''} is in both`,
    };
  }
  if (kind === 'signal')
    return {
      reason: 'ran-in-tool',
      detail: `signal ${value} was raised on an event later attributed to the tool call`,
    };
  if (kind === 'session' || kind === 'conversation') {
    const detail =
      kind === 'session'
        ? `MCP session ${value.split(':').slice(1).join(':')}`
        : `conversation ${value.split(':').slice(2).join(':')}`;
    const from = a.evidence.find((e) => e.trace);
    const to = b.evidence.find((e) => e.trace);
    return {
      reason: 'same-session',
      detail,
      edge: from && to ? { from: from.id, to: to.id, reason: 'same-session', detail } : undefined,
    };
  }
  const from = a.evidence.find((e) => e.alert?.nativeId === value);
  const to = b.evidence.find((e) => e.alert?.nativeId === value);
  const detail = `same alert id ${value}`;
  return {
    reason: 'alerted',
    detail,
    edge: from && to ? { from: from.id, to: to.id, reason: 'alerted', detail } : undefined,
  };
}

/** The caller's span that is the server span's parent (params._meta.traceparent). */
function parentOf(server: Episode['evidence'][number] | undefined, caller: Episode, trace: string) {
  const parent = server?.trace?.parentSpanId;
  if (!parent) return undefined;
  return caller.evidence.find(
    (e) => e.trace?.traceId === trace && e.trace.spanKind !== 'SERVER' && e.trace.spanId === parent,
  );
}

function callLink(
  trace: string,
  client: Episode['evidence'][number] | undefined,
  server?: Episode['evidence'][number],
): Link {
  const viaParent = server?.trace?.parentSpanId !== undefined && client?.trace?.spanId === server.trace.parentSpanId;
  const detail = `trace ${trace}${viaParent ? ` (MCP client span ${client!.trace!.spanId} is the server span's parent via params._meta.traceparent)` : ''}`;
  return {
    reason: 'called',
    detail,
    edge: client && server ? { from: client.id, to: server.id, reason: 'called', detail } : undefined,
  };
}

/**
 * Two tool calls of one trace are siblings: they share the story, but neither called the other.
 * An edge only when one's span is the parent of the other's server span (a tool that calls a tool).
 */
function siblingCall(trace: string, caller: Episode, callee: Episode): Link | undefined {
  for (const server of callee.evidence) {
    if (server.trace?.traceId !== trace || server.trace.spanKind !== 'SERVER') continue;
    const client = parentOf(server, caller, trace);
    if (client) return callLink(trace, client, server);
  }
  return undefined;
}

/**
 * prompted: how well a prompt alert matches an agent turn. Application name, source IP (against
 * the agent pod's own addresses and the callers its server spans saw) and end user each count;
 * at least one must match and the times must be close.
 */
export function promptMatch(
  alert: Episode,
  turn: Episode,
): { score: number; distance: number; detail: string } | undefined {
  const ctx = alert.promptContext;
  if (!ctx || turn.kind !== 'agent-turn') return undefined;
  const t = alert.start;
  const distance = t < turn.start ? turn.start - t : t > turn.end ? t - turn.end : 0;
  if (distance > PROMPT_WINDOW_MS) return undefined;
  const reasons: string[] = [];
  let score = 0;
  const app = ctx.applicationName?.toLowerCase();
  const names = [...turn.agentNames, turn.workload.serviceName, turn.workload.workloadName]
    .filter((n): n is string => !!n)
    .map((n) => n.toLowerCase());
  if (app && names.includes(app)) {
    score += 2;
    reasons.push(`application name ${ctx.applicationName}`);
  }
  if (ctx.sourceIp && (turn.podIps.includes(ctx.sourceIp) || turn.clientIps.includes(ctx.sourceIp))) {
    score += 2;
    reasons.push(
      `source IP ${ctx.sourceIp} ${turn.podIps.includes(ctx.sourceIp) ? "is the agent pod's address" : 'called the agent'}`,
    );
  }
  if (ctx.endUser && turn.endUsers.includes(ctx.endUser)) {
    score += 2;
    reasons.push(`end user ${ctx.endUser}`);
  }
  if (score === 0) return undefined;
  // Defender for AI reports the model call it flagged: a turn with a model call at that moment is
  // the one (two turns of one agent and pod can overlap in time).
  let chat = Infinity;
  for (const e of turn.evidence) if (e.kind === 'llm.chat') chat = Math.min(chat, Math.abs(e.time - t));
  if (chat <= FLAGGED_CALL_MS) {
    score += 1;
    reasons.push('a model call of the turn at the alert time');
  }
  reasons.push(distance === 0 ? 'during the turn' : `${Math.round(distance / 1000)} s from the turn`);
  // Ties go to the nearest flagged call, then to the nearest turn.
  return { score, distance: chat <= FLAGGED_CALL_MS ? chat : FLAGGED_CALL_MS + distance, detail: reasons.join(', ') };
}
