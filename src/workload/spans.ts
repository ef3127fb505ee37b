/**
 * Spans in a workload: an MCP server's tools/call span opens a tool episode (and claims the
 * kernel events its pod buffered before the span arrived); agent spans gather into one agent-turn
 * episode per trace, linked parent span → child span. Signals on spans belong to the turn.
 */
import type { RuntimeEvent } from '../model/event.ts';
import type { WorkloadRole } from '../signals/engine.ts';
import { attribute, contestedBy, SPAN_SLACK_MS, takeSignals } from './attribution.ts';
import { addEdge, addEvidence, edge, toolEpisodeId, turnEpisodeId } from './episodes.ts';
import { evaluate, type FilingEnv } from './signalFiling.ts';
import { newEpisodeState, type WorkloadState } from './state.ts';

const ROLE_AGENT: WorkloadRole = 'agent';
const ROLE_MCP: WorkloadRole = 'mcp-server';
/** Methods a server serves as one call with effects: tools, and the capabilities beyond them (issue 17). */
const CALL_METHODS = new Set(['tools/call', 'resources/read', 'prompts/get', 'completion/complete']);

/** Handles one span event: roles, tool episode, agent turn, then its signals. */
export function handleSpan(w: WorkloadState, event: RuntimeEvent, pod: string, env: FilingEnv): void {
  const t = event.trace!;
  const isServer = t.spanKind === 'SERVER';
  if (event.kind === 'mcp.request' && isServer) w.roles.add(ROLE_MCP);
  else w.roles.add(ROLE_AGENT);
  // ran-in-tool is anchored on the MCP server span (DESIGN §4); tools an agent runs in-process
  // show up as the agent's own processes (CW-SHELL-IN-AGENT and friends).
  const isMcpToolCall =
    event.kind === 'mcp.request' &&
    isServer &&
    (CALL_METHODS.has(t.mcpMethod ?? '') || (!!t.toolName && !t.mcpMethod?.includes('/')));
  // A stdio MCP server is the agent's child process: the agent's client span (network.transport
  // pipe) stands for the server span it never gets, and the server child's work is the call's.
  const isStdioCall =
    event.kind === 'mcp.request' &&
    t.spanKind !== 'SERVER' &&
    t.networkTransport === 'pipe' &&
    (t.mcpMethod === 'tools/call' || (!!t.toolName && !t.mcpMethod?.includes('/')));
  // A function tool the agent runs in-process (execute_tool, no MCP): the agent's own process
  // serves the call, so what it starts during the call is the call's, as for a remote server.
  const isInProcessTool = event.kind === 'tool.execute' && t.spanKind !== 'SERVER' && !!t.toolName;
  if (isMcpToolCall || isStdioCall || isInProcessTool) openToolEpisode(w, event, pod, env, isStdioCall);
  if (!(event.kind === 'mcp.request' && isServer) && t.traceId) addToTurn(w, event, pod, t.traceId);
  // Signals on spans (new tool for agent, risk jump) belong to the turn.
  const turn = t.traceId ? w.episodes.get(turnEpisodeId(w, t.traceId)) : undefined;
  const owners = turn ? [turn] : isMcpToolCall ? [w.episodes.get(toolEpisodeId(w, event))!] : [];
  evaluate(w, event, pod, owners, env);
}

function addToTurn(w: WorkloadState, event: RuntimeEvent, pod: string, traceId: string): void {
  const t = event.trace!;
  const id = turnEpisodeId(w, traceId);
  let turn = w.episodes.get(id);
  if (!turn) w.episodes.set(id, (turn = newEpisodeState(id, 'agent-turn', pod, event.time)));
  addEvidence(turn, event, w.limits.maxEvidence, true);
  // `called`: parent span → child span within the turn (invoke_agent → execute_tool → MCP client).
  for (const other of turn.evidence.values()) {
    if (other.trace?.spanId && other.trace.spanId === t.parentSpanId)
      addEdge(turn, edge(other.id, event.id, 'called', `span ${t.parentSpanId} → ${t.spanId}`));
    if (other.trace?.parentSpanId && other.trace.parentSpanId === t.spanId)
      addEdge(turn, edge(event.id, other.id, 'called', `span ${t.spanId} → ${other.trace.spanId}`));
  }
  turn.lastActive = event.time;
  w.dirty.add(id);
}

function openToolEpisode(w: WorkloadState, span: RuntimeEvent, pod: string, env: FilingEnv, stdio: boolean): void {
  const id = toolEpisodeId(w, span);
  let ep = w.episodes.get(id);
  if (!ep) {
    ep = newEpisodeState(id, 'tool', pod, span.trace?.startTime ?? span.time);
    ep.containerId = span.workload.containerId;
    ep.stdio = stdio;
    ep.spanEventId = span.id;
    w.episodes.set(id, ep);
    w.toolEpisodes++;
  }
  addEvidence(ep, span, w.limits.maxEvidence, true);
  ep.start = span.trace?.startTime ?? span.time;
  ep.end = Math.max(ep.end, span.trace?.endTime ?? span.time);
  ep.callStart = Math.min(ep.callStart ?? Infinity, span.trace?.startTime ?? span.time);
  ep.callEnd = Math.max(ep.callEnd ?? -Infinity, span.trace?.endTime ?? span.time);
  ep.lastActive = span.time;
  w.dirty.add(id);
  // Kernel events usually arrive before the span (it is exported when the call ends): attribute
  // what the pod's buffer already holds, in time order, then re-check tool-context rules.
  const from = ep.start - SPAN_SLACK_MS;
  const buffered = w
    .buffer(pod)
    .toArray()
    .filter((e) => e.time >= from)
    .sort((a, b) => a.time - b.time);
  for (const e of buffered) {
    const before = ep.evidence.has(e.id);
    if (!before && !contestedBy(w, e, ep, pod)) continue;
    const owners = attribute(w, e, pod, false, ep);
    if (before || !owners.includes(ep)) continue;
    // Signals raised before the span arrived now belong to the tool call (see takeSignals), and
    // tool-context rules get their answer.
    takeSignals(w, ep, e);
    evaluate(w, e, pod, owners, env, true);
  }
}
