/**
 * One agent turn in OTel GenAI/MCP spans (reference/agent-telemetry.md §1–2): `invoke_agent` →
 * `chat` → `execute_tool` → MCP client `tools/call` (CLIENT) → MCP server `tools/call` (SERVER,
 * parented by the client span through params._meta.traceparent) → `chat`, with the servers'
 * kernel activity during each call. Stdio servers often emit no server span at all.
 */
import type { Agent, McpServer } from './agents.ts';
import type { Label } from './labels.ts';
import type { Sim } from './sim.ts';
import { otlpRequest, type AttributeValue, type SpanSpec } from './wire/otlp.ts';
import type { Pod, Proc } from './world.ts';

/** One tool call in a turn; `activity` adds the server's kernel events during the call. */
export interface ToolCall {
  tool: string;
  /** The MCP server; absent for a function tool that runs in the agent process itself. */
  server?: McpServer;
  /** Server-side duration (ms). */
  duration?: number;
  args?: Record<string, unknown>;
  error?: boolean;
  /** JSON-RPC error code the server answered with (`error.type` on the client and server spans). */
  errorCode?: number;
  /** MCP method (default `tools/call`): `resources/read`, `sampling/createMessage`, … */
  method?: string;
  /** Which server replica takes the call (random when absent). */
  replica?: Pod;
  activity?: (call: CallWindow) => void;
}

/** Where and when a tool call ran on the server side. */
export interface CallWindow {
  tool: string;
  pod: Pod;
  server: Proc;
  start: number;
  end: number;
}

/** What a turn did, for the prompt alert about it and for context turns. */
export interface TurnResult {
  traceId: string;
  start: number;
  end: number;
  pod: Pod;
  calls: CallWindow[];
  /** When the first chat call ran: a prompt alert's StartTimeUtc. */
  chatTimes: number[];
  caller?: { ip: string; user: string };
}

/**
 * One agent turn in `pod`: spans (labelled `label`; chat spans as `part` when the turn is an
 * attack's), the servers' spans and their kernel activity.
 */
export function turn(
  sim: Sim,
  a: Agent,
  pod: Pod,
  options: {
    start: number;
    conversationId: string;
    calls: ToolCall[];
    label: Label;
    caller?: { ip: string; user: string };
  },
): TurnResult {
  const r = sim.rng;
  const { label } = options;
  const partLabel: Label = label !== 'benign' && label.role === 'fact' ? { ...label, role: 'part' } : label;
  const traceId = r.hex(32);
  const rootId = r.hex(16);
  const t = options.start;
  const agentProc = a.procs.get(pod)!;
  const spans: SpanSpec[] = [];
  const spanLabels: Label[] = [];
  const chatTimes: number[] = [];
  const calls: CallWindow[] = [];
  let cursor = t + r.int(10, 60);
  const chat = () => {
    const start = cursor;
    const end = start + r.int(350, 2_600);
    chatTimes.push(start);
    spans.push({
      traceId,
      spanId: r.hex(16),
      parentSpanId: rootId,
      name: `chat ${a.model}`,
      kind: 3,
      start,
      end,
      attributes: {
        'gen_ai.operation.name': 'chat',
        [a.providerKey]: 'azure.ai.openai',
        'gen_ai.request.model': a.model,
        'gen_ai.response.model': `${a.model}-2024-11-20`,
        'server.address': sim.cluster.openAi.host,
        'server.port': 443,
        'gen_ai.usage.input_tokens': r.int(300, 9_000),
        'gen_ai.usage.output_tokens': r.int(20, 900),
      },
    });
    spanLabels.push(partLabel);
    cursor = end + r.int(5, 40);
  };
  // The agent process reuses one connection to its model endpoint for the turn. It is routine
  // traffic of the agent even in an attack turn (the kernel cannot tell), so it stays benign.
  sim.connect(agentProc, cursor - 5, sim.cluster.openAi.ip, 443, 'benign');
  chat();
  options.calls.forEach((c, i) => {
    const duration = c.duration ?? r.int(120, 2_500);
    const execStart = cursor;
    const clientStart = execStart + r.int(2, 15);
    const serverStart = clientStart + r.int(3, 25);
    const serverEnd = serverStart + duration;
    const clientEnd = serverEnd + r.int(3, 25);
    const execEnd = clientEnd + r.int(2, 15);
    const callId = `call_${r.hex(24)}`;
    const rpcId = String(i + 1 + r.int(0, 3) * 10);
    const execId = r.hex(16);
    const clientId = a.mergedToolSpans || !c.server ? execId : r.hex(16);
    const mcpServer = c.server;
    const serverPod = !mcpServer || mcpServer.transport === 'pipe' ? pod : (c.replica ?? r.pick(mcpServer.pods));
    const session = mcpServer?.sessionIds ? sessionOf(sim, mcpServer, a, pod, options.conversationId) : undefined;
    const mcp: Record<string, AttributeValue> = mcpServer
      ? {
          'mcp.method.name': c.method ?? 'tools/call',
          ...(c.errorCode !== undefined ? { 'error.type': String(c.errorCode) } : {}),
          'gen_ai.tool.name': c.tool,
          'jsonrpc.request.id': rpcId,
          'mcp.protocol.version': a.protocolVersion,
          ...(session ? { 'mcp.session.id': session } : {}),
          'network.transport': mcpServer.transport,
          ...(mcpServer.transport === 'tcp'
            ? {
                'network.protocol.name': 'http',
                'server.address': `${mcpServer.name}.${serverPod.namespace}.svc.cluster.local`,
                'server.port': mcpServer.port,
              }
            : {}),
        }
      : {};
    const tool: Record<string, AttributeValue> = {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': c.tool,
      'gen_ai.tool.call.id': callId,
      'gen_ai.tool.type': mcpServer ? 'extension' : 'function',
      ...(a.toolArguments && c.args ? { 'gen_ai.tool.call.arguments': JSON.stringify(c.args) } : {}),
    };
    const merged = a.mergedToolSpans || !mcpServer;
    spans.push({
      traceId,
      spanId: execId,
      parentSpanId: rootId,
      name: `execute_tool ${c.tool}`,
      kind: 1,
      start: execStart,
      end: execEnd,
      attributes: merged ? { ...tool, ...mcp } : tool,
      error: c.error || c.errorCode !== undefined,
    });
    spanLabels.push(label);
    if (!merged) {
      spans.push({
        traceId,
        spanId: clientId,
        parentSpanId: execId,
        name: `tools/call ${c.tool}`,
        kind: 3,
        start: clientStart,
        end: clientEnd,
        attributes: { 'gen_ai.operation.name': 'execute_tool', ...mcp },
        error: c.error || c.errorCode !== undefined,
      });
      spanLabels.push(label);
    }
    const server = mcpServer ? mcpServer.procs.get(serverPod)! : agentProc;
    if (mcpServer?.spans) {
      // The server span carries the MCP attributes too, with the caller's address instead of its own.
      const { 'server.address': _address, 'server.port': _port, ...shared } = mcp;
      const serverSpan: SpanSpec = {
        traceId,
        spanId: r.hex(16),
        parentSpanId: clientId,
        name: `tools/call ${c.tool}`,
        kind: 2,
        start: serverStart,
        end: serverEnd,
        attributes: {
          'gen_ai.operation.name': 'execute_tool',
          ...shared,
          ...(mcpServer.transport === 'tcp' ? { 'client.address': pod.ip, 'client.port': r.int(32768, 60999) } : {}),
        },
        error: c.error || c.errorCode !== undefined,
      };
      const request = otlpRequest(serverPod, [serverSpan], {
        serviceName: mcpServer.name,
        clusterName: a.resource.clusterName,
        language: server.binary.includes('node') ? 'nodejs' : 'python',
      });
      sim.rec.otlp(request, serverStart, serverEnd, label);
    }
    const window: CallWindow = { tool: c.tool, pod: serverPod, server, start: serverStart, end: serverEnd };
    calls.push(window);
    c.activity?.(window);
    cursor = execEnd + r.int(5, 40);
    chat();
  });
  const end = cursor + r.int(10, 80);
  const caller = a.sourceIsPod ? undefined : (options.caller ?? r.pick(a.callers));
  spans.unshift({
    traceId,
    spanId: rootId,
    name: `invoke_agent ${a.name}`,
    kind: 1,
    start: t,
    end,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      [a.providerKey]: 'azure.ai.openai',
      'gen_ai.agent.name': a.name,
      'gen_ai.agent.id': a.id,
      'gen_ai.conversation.id': options.conversationId,
      'gen_ai.request.model': a.model,
      ...(caller ? { 'client.address': caller.ip, 'enduser.id': caller.user } : {}),
    },
  });
  spanLabels.unshift(label);
  sim.rec.otlp(otlpRequest(pod, spans, a.resource), t, end, spanLabels);
  return { traceId, start: t, end, pod, calls, chatTimes, caller };
}

function sessionOf(sim: Sim, server: McpServer, a: Agent, pod: Pod, conversation: string): string {
  if (a.sessionScope === 'call') return sim.rng.hex(32);
  const key = a.sessionScope === 'process' ? pod.name : `${pod.name}/${conversation}`;
  let s = server.sessions.get(key);
  if (!s) server.sessions.set(key, (s = sim.rng.hex(32)));
  return s;
}

/** A new conversation id in the agent framework's format. */
export function conversationId(sim: Sim): string {
  return sim.rng.pick([`conv_${sim.rng.hex(24)}`, `thread_${sim.rng.hex(24)}`, sim.rng.uuid()]);
}
