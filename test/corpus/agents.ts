/**
 * Agents and MCP servers as the sensors see them: an agent's pods and long-running process, remote
 * MCP servers in their own pods (`network.transport = tcp`), and stdio MCP servers that are child
 * processes of the agent in its pod (`network.transport = pipe`). Instrumentation style varies per
 * agent (see `Agent`); turns are in turn.ts.
 */
import type { Sim } from './sim.ts';
import type { ResourceOptions } from './wire/otlp.ts';
import type { Pod, Proc } from './world.ts';

/** An MCP server as the agent's client and the sensors see it. */
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

/** An agent workload and how its framework and instrumentation behave. */
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
    // Remote servers are instrumented: without a server span nothing ties a remote pod's
    // processes to a call (DESIGN §4), so the targets would not be reachable by design.
    spans: true,
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

/** An agent with `replicas` pods; its instrumentation style and callers come from the seed. */
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
    resource: {
      clusterName: r.chance(0.3),
      containerId: r.chance(0.5),
      language: runtime === 'node' ? 'nodejs' : 'python',
    },
    callers: Array.from({ length: r.int(2, 6) }, () => ({
      ip: `${r.pick(['203.0.113', '198.51.100', '192.0.2'])}.${r.int(2, 254)}`,
      user: r.uuid(),
    })),
    sourceIsPod: r.chance(0.3),
    protocolVersion: r.pick(['2025-06-18', '2025-11-25']),
    sessionScope: r.pick(['process', 'process', 'conversation', 'conversation', 'call'] as const),
  };
}
