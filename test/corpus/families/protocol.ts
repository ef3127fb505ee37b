/**
 * Protocol-layer families (issue 17): what an injected or compromised agent does at the MCP layer
 * before, or instead of, anything the kernel sees. Tool probing (a burst of calls to tools the
 * server never offered, each answered -32602), capability escalation (MCP methods the client never
 * used: resources, sampling), and parameter manipulation (a file tool's path argument climbs to a
 * credential, and the server reads it).
 */
import { routineAgent, runRoutine } from '../benign/agents.ts';
import { conversationId, turn, type ToolCall } from '../turn.ts';
import { attackLabels, attackStart, CREDENTIALS, type Family } from './attack.ts';

/** An injected agent guesses tool names: five or more invalid-params errors within a minute. */
export const probing: Family = {
  name: 'mcp-probing',
  summary: 'tool probing: an injected agent calls tools its MCP server never offered, each answered -32602',
  minutes: [30, 42],
  build(sim, id) {
    const r = sim.rng;
    const victim = routineAgent(sim, r.pick(['support', 'travel', 'research'] as const));
    victim.server.spans = true;
    runRoutine(sim, victim, sim.start, sim.end);
    const L = attackLabels(id());
    const at = attackStart(sim, 8 * 60_000);
    const guesses = r.sample(
      [
        'admin',
        'debug',
        'internal_config',
        'list_secrets',
        'get_env',
        'dump_db',
        'users_all',
        'sys_info',
        'health_debug',
      ],
      r.int(6, 8),
    );
    const replica = r.pick(victim.server.pods);
    const calls: ToolCall[] = [
      { tool: victim.tools[0]!, server: victim.server, replica },
      ...guesses.map((tool): ToolCall => ({
        tool,
        server: victim.server,
        replica,
        duration: r.int(3, 20),
        errorCode: -32602,
      })),
    ];
    turn(sim, victim.agent, r.pick(victim.agent.pods), {
      start: at,
      conversationId: conversationId(sim),
      calls,
      label: L.fact,
    });
    return [
      {
        id: L.id,
        family: this.name,
        summary: `${victim.agent.name} probed ${victim.server.name} with ${guesses.length} unknown tools`,
      },
    ];
  },
};

/** An injected agent reaches past its tools: a resource read and a sampling request it never used. */
export const capabilityEscalation: Family = {
  name: 'mcp-capability-escalation',
  summary: 'capability escalation: an agent uses MCP methods beyond its tools (resources/read, sampling) on its server',
  minutes: [30, 42],
  build(sim, id) {
    const r = sim.rng;
    const victim = routineAgent(sim, r.pick(['support', 'reporting', 'devops'] as const));
    victim.server.spans = true;
    runRoutine(sim, victim, sim.start, sim.end);
    const L = attackLabels(id());
    const at = attackStart(sim, 8 * 60_000);
    const replica = r.pick(victim.server.pods);
    const escalations: ToolCall[] = r
      .sample(
        [
          { method: 'resources/read', tool: 'file:///etc/app/config.yaml' },
          { method: 'prompts/get', tool: 'system_prompt' },
          { method: 'completion/complete', tool: 'db_url' },
        ],
        r.int(1, 2),
      )
      .map((m): ToolCall => ({ ...m, server: victim.server, replica, duration: r.int(5, 80) }));
    turn(sim, victim.agent, r.pick(victim.agent.pods), {
      start: at,
      conversationId: conversationId(sim),
      calls: [{ tool: victim.tools[0]!, server: victim.server, replica }, ...escalations],
      label: L.fact,
    });
    return [
      {
        id: L.id,
        family: this.name,
        summary: `${victim.agent.name} called ${escalations.map((c) => c.method).join(', ')} on ${victim.server.name}`,
      },
    ];
  },
};

/** A file tool's path argument climbs out of its root to a credential, and the server reads it. */
export const parameterManipulation: Family = {
  name: 'mcp-parameter-manipulation',
  summary: 'parameter manipulation: a path argument with ../ (plain or encoded) makes a file tool read a credential',
  minutes: [30, 42],
  build(sim, id) {
    const r = sim.rng;
    const victim = routineAgent(sim, r.pick(['support', 'travel', 'research', 'reporting'] as const));
    victim.agent.toolArguments = true;
    runRoutine(sim, victim, sim.start, sim.end);
    const L = attackLabels(id());
    const at = attackStart(sim, 8 * 60_000);
    const target = r.pick(CREDENTIALS.filter((c) => c.startsWith('/var/run/secrets/') || c.startsWith('/root/')));
    const climb = '../'.repeat(r.int(3, 6));
    const path = r.pick([
      `${climb}${target.slice(1)}`,
      `${climb}${target.slice(1)}`.replaceAll('../', '..%2f'),
      `/srv/data/${climb}${target.slice(1)}`.replaceAll('../', '%252e%252e%252f'),
    ]);
    const replica = r.pick(victim.server.pods);
    const calls: ToolCall[] = [
      { tool: victim.tools[0]!, server: victim.server, replica },
      {
        tool: victim.tools[1]!,
        server: victim.server,
        replica,
        args: { path },
        duration: r.int(20, 300),
        // The server resolves the path and reads the credential in its own process.
        activity: (c) => sim.read(c.server, c.start + r.int(2, 15), target, L.fact),
      },
    ];
    turn(sim, victim.agent, r.pick(victim.agent.pods), {
      start: at,
      conversationId: conversationId(sim),
      calls,
      label: L.fact,
    });
    return [
      {
        id: L.id,
        family: this.name,
        summary: `${victim.agent.name} passed ${path} to ${victim.tools[1]}, which read ${target}`,
      },
    ];
  },
};
