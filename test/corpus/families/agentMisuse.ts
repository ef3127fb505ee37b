/**
 * Agent-misuse families, with no kernel or sensor alert at all: data exported through a tool the
 * agent is allowed and used to call (a report mailer or webhook poster), and a drift in the tool
 * sequence (admin tools of a server the agent knows, never called in its routine).
 */
import { mcpServer } from '../agents.ts';
import { conversationId, turn, type ToolCall } from '../turn.ts';
import { promptAlert } from '../promptAlert.ts';
import { routineAgent, runRoutine, withExtras } from '../benign/agents.ts';
import { publicIp } from '../world.ts';
import { attackLabels, attackStart, type Family } from './attack.ts';

/** Customer data queried and sent out through the agent's everyday send tool. */
export const allowedToolExport: Family = {
  name: 'allowed-tool-export',
  summary: 'data export through an allowed-looking tool the agent uses every day (no kernel alert)',
  minutes: [30, 42],
  build(sim, id) {
    const r = sim.rng;
    const victim = routineAgent(sim, 'reporting');
    const namespace = victim.agent.pods[0]!.namespace;
    const notify = mcpServer(sim, {
      name: r.pick(['notify-tools', 'email-mcp', 'slack-tools', 'share-mcp']),
      namespace,
      replicas: r.int(1, 2),
    });
    const sendTool = r.pick(['send_email', 'post_message', 'share_report', 'post_webhook']);
    const saas = publicIp(r, 'saas');
    const send = (label: 'benign'): ToolCall => ({
      tool: sendTool,
      server: notify,
      activity: (c) => sim.connect(c.server, c.start + r.int(5, 60), saas, 443, label),
    });
    runRoutine(sim, victim, sim.start, sim.end, {
      calls: withExtras(sim, victim.calls, [{ p: 0.35, call: () => send('benign') }]),
    });
    const L = attackLabels(id());
    const at = attackStart(sim, 8 * 60_000);
    const [listTool, sqlTool] = victim.tools as [string, string];
    // The webhook of the attacker, or the mail relay the agent always uses.
    const destination = r.chance(0.5) ? saas : publicIp(r, 'attacker');
    const [dbIp, dbPort] = victim.backend.connects[0]!;
    const query = (): ToolCall => ({
      tool: sqlTool,
      server: victim.server,
      args: { query: 'SELECT * FROM customers' },
      duration: r.int(800, 4_000),
      activity: (c) => {
        for (let t = c.start + r.int(5, 40); t < c.end; t += r.int(400, 1_500))
          sim.connect(c.server, t, dbIp, dbPort, L.fact);
      },
    });
    const calls: ToolCall[] = [
      { tool: listTool, server: victim.server },
      ...Array.from({ length: r.int(1, 2) }, query),
      {
        tool: sendTool,
        server: notify,
        args: { to: 'external', attachment: 'export.csv' },
        duration: r.int(1_000, 3_000),
        activity: (c) => sim.connect(c.server, c.start + r.int(5, 60), destination, 443, L.fact),
      },
    ];
    const pod = r.pick(victim.agent.pods);
    const result = turn(sim, victim.agent, pod, {
      start: at,
      conversationId: conversationId(sim),
      calls,
      label: L.fact,
    });
    if (r.chance(0.5)) promptAlert(sim, victim.agent, result, L.fact);
    return [
      {
        id: L.id,
        family: this.name,
        summary: `${victim.agent.name} queried customers and sent them through ${sendTool} to ${destination}`,
      },
    ];
  },
};

/** Admin tools called for the first time in a turn, nothing else unusual. */
export const toolDrift: Family = {
  name: 'tool-drift',
  summary: 'tool-sequence drift: a support agent calls admin tools of its server it never used (no alert anywhere)',
  minutes: [30, 42],
  build(sim, id) {
    const r = sim.rng;
    const victim = routineAgent(sim, 'support');
    runRoutine(sim, victim, sim.start, sim.end);
    const L = attackLabels(id());
    const at = attackStart(sim, 8 * 60_000);
    const admin = r.sample(
      ['list_customers', 'export_customers', 'update_refund', 'delete_ticket', 'grant_credit', 'reset_password'],
      r.int(2, 3),
    );
    const replica = r.pick(victim.server.pods);
    const calls: ToolCall[] = [
      { tool: victim.tools[0]!, server: victim.server, replica },
      ...admin.map((tool): ToolCall => ({
        tool,
        server: victim.server,
        replica,
        duration: r.int(300, 2_000),
        // In-process: the server reaches its own database, as for every routine call.
        activity: (c) =>
          sim.connect(
            c.server,
            c.start + r.int(5, 60),
            victim.backend.connects[0]![0],
            victim.backend.connects[0]![1],
            L.fact,
          ),
      })),
    ];
    turn(sim, victim.agent, r.pick(victim.agent.pods), {
      start: at,
      conversationId: conversationId(sim),
      calls,
      label: L.fact,
    });
    return [
      { id: L.id, family: this.name, summary: `${victim.agent.name} called ${admin.join(', ')} for the first time` },
    ];
  },
};
