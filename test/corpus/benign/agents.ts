/**
 * Benign agent archetypes: agents with routine tool sequences (some whose normal workflow is a
 * benign → high-risk tool pair), talking to their model endpoint and database on every turn,
 * reading their own config and refreshing their workload-identity token, with remote MCP servers
 * that reach their own backends (one of them reads its service-account token and calls the API
 * server on every call: its job). Turns run from the scenario start, through the learning period
 * and after it, so routine is seen before it is judged.
 */
import { agent, mcpServer, type Agent, type McpServer } from '../agents.ts';
import { conversationId, turn, type ToolCall, type TurnResult } from '../turn.ts';
import type { Label } from '../labels.ts';
import { LEARNING_MS, type Sim } from '../sim.ts';
import { privateIp, publicIp, type Pod, type Proc } from '../world.ts';

/** The routine agent kinds of the backdrop. */
export type Persona = 'support' | 'travel' | 'research' | 'reporting' | 'devops';

interface PersonaSpec {
  names: string[];
  server: string[];
  /** Tool choices per step of a routine turn. */
  steps: string[][];
  /** What the server does for one call (in-process connections and reads). */
  backend: (sim: Sim) => { connects: [string, number][]; reads: string[]; rotate?: boolean };
}

const PERSONAS: Record<Persona, PersonaSpec> = {
  support: {
    names: ['support-agent', 'helpdesk-agent', 'customer-care', 'care-assistant'],
    server: ['kb-tools', 'knowledge-mcp', 'kb-mcp', 'support-tools'],
    steps: [
      ['search_kb', 'search_articles'],
      ['get_order_status', 'lookup_customer', 'get_ticket'],
    ],
    backend: (sim) => ({ connects: [[privateIp(sim.rng), 5432]], reads: [] }),
  },
  travel: {
    names: ['travel-agent', 'trip-planner', 'concierge', 'booking-assistant'],
    server: ['travel-tools', 'booking-mcp', 'trips-mcp'],
    steps: [
      ['search_flights', 'search_hotels'],
      ['get_itinerary', 'get_fare_rules'],
    ],
    backend: (sim) => ({
      connects: [
        [publicIp(sim.rng, 'saas'), 443],
        [privateIp(sim.rng), 8080],
      ],
      reads: [],
    }),
  },
  research: {
    names: ['research-agent', 'analyst-agent', 'insights-bot', 'scout-agent'],
    server: ['web-tools', 'browser-mcp', 'fetch-mcp'],
    // Its normal workflow is benign → high-risk: search, then fetch what it found.
    steps: [
      ['web_search', 'search_web'],
      ['fetch_url', 'fetch_page'],
    ],
    backend: (sim) => ({
      connects: Array.from({ length: sim.rng.int(4, 6) }, () => [publicIp(sim.rng, 'cdn'), 443] as [string, number]),
      reads: [],
      rotate: true,
    }),
  },
  reporting: {
    names: ['report-agent', 'finance-copilot', 'ops-reporter', 'bi-assistant'],
    server: ['db-tools', 'sql-mcp', 'warehouse-mcp'],
    // Benign → high-risk again: list the reports, then run the query behind one.
    steps: [
      ['list_reports', 'get_report_catalog'],
      ['run_sql', 'query_database'],
    ],
    backend: (sim) => ({ connects: [[privateIp(sim.rng), sim.rng.pick([5432, 1433, 3306])]], reads: [] }),
  },
  devops: {
    names: ['ops-agent', 'sre-assistant', 'oncall-agent', 'platform-copilot'],
    server: ['k8s-tools', 'kube-mcp', 'cluster-mcp'],
    steps: [
      ['get_pod_status', 'list_deployments'],
      ['get_events', 'get_pod_logs'],
    ],
    // Its server reads its own service-account token and calls the API server on every call.
    backend: () => ({
      connects: [['10.0.0.1', 443]],
      reads: ['/var/run/secrets/kubernetes.io/serviceaccount/token'],
    }),
  },
};

/** A persona agent with its MCP server and what its routine touches. */
export interface RoutineAgent {
  persona: Persona;
  agent: Agent;
  server: McpServer;
  /** The tools of its routine turns. */
  tools: string[];
  /** Where its server's calls go (its database or API), and what they read. */
  backend: { connects: [string, number][]; reads: string[] };
  /** The agent's own database (conversation memory). */
  db: [string, number];
  /** Whether its pods hold an Azure workload-identity token that the SDK refreshes. */
  workloadIdentity: boolean;
  /** The calls of one routine turn (fresh random choices each time). */
  calls(): ToolCall[];
}

/** An agent with its MCP server and routine, of the given persona. */
export function routineAgent(
  sim: Sim,
  persona: Persona,
  options: { namespace?: string; name?: string; replicas?: number; serverReplicas?: number; started?: number } = {},
): RoutineAgent {
  const r = sim.rng;
  const spec = PERSONAS[persona];
  const namespace = options.namespace ?? r.pick(['agents', 'ai', 'copilots', 'assistants']);
  const a = agent(sim, {
    name: options.name ?? r.pick(spec.names),
    namespace,
    replicas: options.replicas ?? r.int(1, 2),
    started: options.started,
  });
  const server = mcpServer(sim, {
    name: r.pick(spec.server),
    namespace,
    replicas: options.serverReplicas ?? r.int(1, 3),
  });
  const backend = spec.backend(sim);
  const tools = spec.steps.map((choices) => r.pick(choices));
  let rotation = 0;
  return {
    persona,
    agent: a,
    server,
    tools,
    backend,
    db: [privateIp(r), r.pick([5432, 6379, 27017])],
    workloadIdentity: r.chance(0.7),
    calls: () =>
      tools.map((tool) => ({
        tool,
        server,
        args: { q: r.hex(6) },
        activity: (call) => {
          const dsts = backend.rotate ? [backend.connects[rotation++ % backend.connects.length]!] : backend.connects;
          let at = call.start + r.int(5, 40);
          for (const path of backend.reads) sim.read(call.server, at++, path, 'benign');
          for (const [ip, port] of dsts) sim.connect(call.server, (at += r.int(3, 60)), ip, port, 'benign');
        },
      })),
  };
}

/**
 * How far apart an agent's turns are (ms). A few turns in the learning period and a dozen or so
 * after it: enough routine to learn and to judge, and few enough that the bench stays fast.
 */
export const TURN_GAP_MS: [number, number] = [100_000, 280_000];

/** Turns come faster while the product learns (the first 10 minutes), so routine is seen. */
const LEARNING_TURN_GAP_MS: [number, number] = [50_000, 130_000];

/**
 * Calls of a routine with optional extras: every extra is in the first `warmup` turns (the
 * learning period sees the whole routine), then in a turn with probability `p`.
 */
export function withExtras(
  sim: Sim,
  base: () => ToolCall[],
  extras: { p: number; call: () => ToolCall; first?: boolean }[],
  warmup = 2,
): () => ToolCall[] {
  let turns = 0;
  return () => {
    const early = turns++ < warmup;
    const calls = base();
    for (const e of extras) {
      if (!early && !sim.rng.chance(e.p)) continue;
      if (e.first) calls.unshift(e.call());
      else calls.push(e.call());
    }
    return calls;
  };
}

/**
 * Turns of any agent from `from` to `to`, each on a random replica, a new conversation now and
 * then; the agent reaches its database every turn. `onTurn` adds what else the agent process
 * does around a turn (`newConversation` when one starts).
 */
export function agentTurns(
  sim: Sim,
  a: Agent,
  from: number,
  to: number,
  options: {
    calls: () => ToolCall[];
    db: [string, number];
    label?: Label;
    onTurn?: (pod: Pod, t: number, newConversation: boolean) => void;
  },
): TurnResult[] {
  const r = sim.rng;
  const results: TurnResult[] = [];
  const conversations = new Map<Pod, string>();
  const gap = (t: number) => {
    const [min, max] = t < sim.start + LEARNING_MS ? LEARNING_TURN_GAP_MS : TURN_GAP_MS;
    return r.int(min, max);
  };
  for (let t = from + r.int(5_000, LEARNING_TURN_GAP_MS[1]); t < to - 15_000; t += gap(t)) {
    const pod = r.pick(a.pods);
    let conv = conversations.get(pod);
    const fresh = !conv || r.chance(0.35);
    if (fresh) conversations.set(pod, (conv = conversationId(sim)));
    options.onTurn?.(pod, t, fresh);
    sim.connect(a.procs.get(pod)!, t + r.int(1, 30), options.db[0], options.db[1], 'benign');
    results.push(
      turn(sim, a, pod, { start: t, conversationId: conv!, calls: options.calls(), label: options.label ?? 'benign' }),
    );
  }
  return results;
}

/**
 * Routine turns of a persona agent; besides, the agent reads its config when a conversation
 * starts and refreshes its workload-identity token every 5–10 minutes (read, then Entra).
 */
export function runRoutine(
  sim: Sim,
  ra: RoutineAgent,
  from: number,
  to: number,
  options: {
    /** The calls of one turn, when the agent's routine is more than its persona's pair. */
    calls?: () => ToolCall[];
  } = {},
): TurnResult[] {
  const r = sim.rng;
  const entra = publicIp(r, 'entra');
  const nextRefresh = new Map<Pod, number>();
  return agentTurns(sim, ra.agent, from, to, {
    calls: options.calls ?? ra.calls,
    db: ra.db,
    onTurn: (pod, t, newConversation) => {
      const proc = ra.agent.procs.get(pod)!;
      // Refresh the federated token (Azure SDK) on its own schedule, during learning and after.
      if (ra.workloadIdentity && t >= (nextRefresh.get(pod) ?? from)) {
        const at = t - r.int(200, 2_000);
        sim.read(proc, at, '/var/run/secrets/azure/tokens/azure-identity-token', 'benign');
        sim.connect(proc, at + r.int(5, 60), entra, 443, 'benign');
        nextRefresh.set(pod, t + r.int(5, 10) * 60_000);
      }
      if (newConversation) sim.read(proc, t - r.int(20, 200), '/app/config/agent.yaml', 'benign');
    },
  });
}

/** A benign child of a tool server: a converter or interpreter run per call. */
export function toolChild(
  sim: Sim,
  server: Proc,
  pod: Pod,
  at: number,
  binary: string,
  args: string,
  reads: string[],
  end: number,
): void {
  const r = sim.rng;
  const p = sim.world.proc(pod, binary, args, at, server);
  sim.run(p, 'benign', {
    steps: reads.map((read, i) => ({ at: 3 + i * r.int(2, 30), read })),
    lifetime: Math.max(20, end - at - r.int(2, 10)),
  });
}
