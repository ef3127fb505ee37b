/**
 * Agents and MCP servers, and one agent turn in OTel GenAI/MCP spans (reference/agent-telemetry.md
 * §1–2): `invoke_agent` → `chat` → `execute_tool` → MCP client `tools/call` (CLIENT) → MCP server
 * `tools/call` (SERVER, parented by the client span through params._meta.traceparent) → `chat`.
 * Remote servers run in their own pods (`network.transport = tcp`); stdio servers are child
 * processes of the agent in its pod (`network.transport = pipe`, and often no server span at all).
 * Instrumentation style varies per agent: execute_tool and the MCP client span merged into one
 * span or not, opt-in tool arguments, `gen_ai.system` or `gen_ai.provider.name`.
 */
import type { Label } from './labels.ts';
import type { Sim } from './sim.ts';
import { otlpRequest, type AttributeValue, type ResourceOptions, type SpanSpec } from './wire/otlp.ts';
import type { Pod, Proc } from './world.ts';
import { aiEntities, systemAlertId, type DefenderAlertSpec } from './wire/defender.ts';

export interface McpServer {
  name: string;
  transport: 'tcp' | 'pipe';
  /** Server pods (tcp); for stdio servers, the agent pods whose children serve it. */
  pods: Pod[];
  /** The long-running server process per pod (for stdio: the agent's child process). */
  procs: Map<Pod, Proc>;
  /** Whether the server is instrumented (emits SERVER spans). */
  spans: boolean;
  port: number;
  /** mcp.session.id per client session key, minted by the server. */
  sessions: Map<string, string>;
  /** Whether this server's spans and the client's carry mcp.session.id. */
  sessionIds: boolean;
}

export interface Agent {
  name: string;
  id: string;
  pods: Pod[];
  procs: Map<Pod, Proc>;
  model: string;
  /** execute_tool and the MCP client span are one span (MCP attributes added to the tool span). */
  mergedToolSpans: boolean;
  /** gen_ai.tool.call.arguments (opt-in). */
  toolArguments: boolean;
  /** `gen_ai.provider.name` (current) or `gen_ai.system` (older instrumentations). */
  providerKey: 'gen_ai.provider.name' | 'gen_ai.system';
  resource: ResourceOptions;
  /** The end user's address and id when the agent is called by an app that passes them on. */
  callers: { ip: string; user: string }[];
  /** Whether Defender for AI sees the agent pod's own IP as source IP (no user context passed). */
  sourceIsPod: boolean;
  protocolVersion: string;
  /**
   * How long the agent's MCP client keeps a session: for the life of its process (one client
   * held open), per conversation, or per tool call (a client opened for each call), as agent
   * frameworks differ.
   */
  sessionScope: 'process' | 'conversation' | 'call';
}

/** A long-running remote MCP server with `replicas` pods. */
export function mcpServer(
  sim: Sim,
  spec: {
    name: string;
    namespace: string;
    replicas: number;
    runtime?: 'node' | 'python';
    image?: string;
    started?: number;
  },
): McpServer {
  const r = sim.rng;
  const runtime = spec.runtime ?? r.pick(['node', 'python'] as const);
  const pods = Array.from({ length: spec.replicas }, () =>
    sim.world.pod({
      namespace: spec.namespace,
      workload: spec.name,
      container: 'mcp',
      image: spec.image,
      started: spec.started,
    }),
  );
  const procs = new Map<Pod, Proc>();
  for (const pod of pods)
    procs.set(
      pod,
      runtime === 'node'
        ? sim.world.main(pod, '/usr/local/bin/node', `/app/dist/server.js --transport streamable-http --port 8080`, {
            uid: 1000,
          })
        : sim.world.main(
            pod,
            '/usr/local/bin/python3',
            `-m ${spec.name.replace(/-/g, '_')}.server --transport streamable-http`,
            { uid: 1000 },
          ),
    );
  return {
    name: spec.name,
    transport: 'tcp',
    pods,
    procs,
    spans: r.chance(0.85),
    port: 8080,
    sessions: new Map(),
    sessionIds: r.chance(0.8),
  };
}

/** A stdio MCP server: a child process of the agent in each agent pod. */
export function stdioServer(
  sim: Sim,
  agent: Agent,
  name: string,
  command: { binary: string; args: string },
): McpServer {
  const procs = new Map<Pod, Proc>();
  for (const pod of agent.pods) {
    const parent = agent.procs.get(pod)!;
    procs.set(
      pod,
      sim.world.proc(pod, command.binary, command.args, parent.start + sim.rng.int(300, 4000), parent, {
        uid: parent.uid,
        cwd: parent.cwd,
      }),
    );
  }
  return {
    name,
    transport: 'pipe',
    pods: agent.pods,
    procs,
    spans: sim.rng.chance(0.4),
    port: 0,
    sessions: new Map(),
    sessionIds: sim.rng.chance(0.3),
  };
}

export function agent(
  sim: Sim,
  spec: { name: string; namespace: string; replicas: number; workload?: string; started?: number },
): Agent {
  const r = sim.rng;
  const runtime = r.pick(['python', 'node'] as const);
  const pods = Array.from({ length: spec.replicas }, () =>
    sim.world.pod({
      namespace: spec.namespace,
      workload: spec.workload ?? spec.name,
      container: 'agent',
      serviceName: spec.name,
      started: spec.started,
    }),
  );
  const procs = new Map<Pod, Proc>();
  for (const pod of pods)
    procs.set(
      pod,
      runtime === 'python'
        ? sim.world.main(
            pod,
            '/usr/local/bin/python3',
            `-m uvicorn ${spec.name.replace(/-/g, '_')}.app:app --host 0.0.0.0 --port 8000`,
            { uid: 1000 },
          )
        : sim.world.main(pod, '/usr/local/bin/node', '/app/dist/index.js', { uid: 1000 }),
    );
  return {
    name: spec.name,
    id: `asst_${r.hex(24)}`,
    pods,
    procs,
    model: r.pick(['gpt-4o', 'gpt-4.1', 'gpt-4o-mini', 'o4-mini', 'gpt-5-mini']),
    mergedToolSpans: r.chance(0.35),
    toolArguments: r.chance(0.5),
    providerKey: r.chance(0.75) ? 'gen_ai.provider.name' : 'gen_ai.system',
    resource: { clusterName: r.chance(0.3), containerId: r.chance(0.5) },
    callers: Array.from({ length: r.int(2, 6) }, () => ({
      ip: `${r.pick(['203.0.113', '198.51.100', '192.0.2'])}.${r.int(2, 254)}`,
      user: r.uuid(),
    })),
    sourceIsPod: r.chance(0.3),
    protocolVersion: r.pick(['2025-06-18', '2025-11-25']),
    sessionScope: r.pick(['process', 'process', 'conversation', 'conversation', 'call'] as const),
  };
}

/** One tool call in a turn; `activity` adds the server's kernel events during the call. */
export interface ToolCall {
  tool: string;
  /** The MCP server; absent for a function tool that runs in the agent process itself. */
  server?: McpServer;
  /** Server-side duration (ms). */
  duration?: number;
  args?: Record<string, unknown>;
  error?: boolean;
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
          'mcp.method.name': 'tools/call',
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
      error: c.error,
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
        error: c.error,
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
        error: c.error,
      };
      const request = otlpRequest(serverPod, [serverSpan], {
        serviceName: mcpServer.name,
        clusterName: a.resource.clusterName,
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

/** Defender for AI alert types about prompts (reference/defender-formats.md §2.1). */
export const PROMPT_ALERTS = [
  {
    type: 'AI.Azure_Jailbreak.ContentFiltering.DetectedAttempt',
    name: 'A Jailbreak attempt on an Azure AI model deployment was detected by Azure AI Content Safety Prompt Shields',
    severity: 'Medium',
    intent: 'PrivilegeEscalation, DefenseEvasion',
  },
  {
    type: 'AI.Azure_Jailbreak.ContentFiltering.BlockedAttempt',
    name: 'A Jailbreak attempt on an Azure AI model deployment was blocked by Azure AI Content Safety Prompt Shields',
    severity: 'Medium',
    intent: 'PrivilegeEscalation, DefenseEvasion',
  },
  {
    type: 'AI.Azure_CredentialTheftAttempt',
    name: 'Detected credential theft attempts on an Azure AI model deployment',
    severity: 'Medium',
    intent: 'CredentialAccess, LateralMovement, Exfiltration',
  },
  {
    type: 'AI.Azure_ASCIISmuggling',
    name: 'ASCII Smuggling prompt injection detected',
    severity: 'High',
    intent: 'Impact',
  },
] as const;

/**
 * A Defender for AI prompt alert about a turn: the user security context carries the application
 * name and, where the app passes them, the end user's address and id (else the pod's address).
 * Where these land in a real alert is undocumented (defender-formats.md §2.2), so the keys vary.
 */
export function promptAlert(
  sim: Sim,
  a: Agent,
  result: TurnResult,
  label: Label,
  kind: (typeof PROMPT_ALERTS)[number] = sim.rng.pick(PROMPT_ALERTS),
  delayMs?: number,
): void {
  const r = sim.rng;
  const at = result.chatTimes[Math.min(1, result.chatTimes.length - 1)] ?? result.start;
  const ip = result.caller?.ip ?? result.pod.ip;
  const user = result.caller?.user;
  const keys = r.pick([
    { app: 'Application Name', ip: 'Source IP', user: 'End User Id' },
    { app: 'ApplicationName', ip: 'SourceIp', user: 'EndUserId' },
    { app: 'application_name', ip: 'source_ip', user: 'end_user_id' },
  ]);
  const extended: Record<string, string> = {
    [keys.app]: a.name,
    [keys.ip]: ip,
    ...(user ? { [keys.user]: user } : {}),
    'Model deployment': a.model,
    'Suspicious prompt segment': r.pick(['[masked]', 'Prompt evidence is disabled for this resource']),
    resourceType: 'Azure OpenAI',
  };
  const spec: DefenderAlertSpec = {
    alertType: kind.type,
    displayName: kind.name,
    description: `There was 1 attempt of a ${kind.type.split('.')[1]?.replace('Azure_', '')} attack on model deployment ${a.model} on your Azure AI resource ${sim.cluster.openAi.account}.`,
    severity: kind.severity,
    intent: kind.intent,
    start: at,
    generated: at + r.int(2, 9) * 60_000,
    systemAlertId: systemAlertId(r),
    productComponent: 'AI',
    resourceId: sim.cluster.openAi.resourceId,
    compromisedEntity: sim.cluster.openAi.account,
    entities: aiEntities(sim.cluster, { ip, user }),
    extended,
  };
  sim.defender(spec, label, sim.defenderShape(), delayMs);
}
