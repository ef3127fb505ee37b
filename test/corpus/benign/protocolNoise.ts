/**
 * Benign protocol-layer archetypes (issue 17): an agent whose MCP calls fail now and then with
 * invalid params (-32602), sometimes two or three retries in a row, and a document agent that
 * sends long arguments on every call (whole documents, 20–60 KB) with relative template paths
 * (`../templates/…`). What protocol rules must learn is routine: no Medium+ story from either.
 */
import type { Sim } from '../sim.ts';
import type { ToolCall } from '../turn.ts';
import { routineAgent, runRoutine } from './agents.ts';

/** Adds both archetypes for the whole scenario. */
export function protocolNoise(sim: Sim): void {
  const r = sim.rng;
  const flaky = routineAgent(sim, r.pick(['support', 'travel', 'reporting'] as const));
  flaky.server.spans = true;
  runRoutine(sim, flaky, sim.start, sim.end, {
    calls: () => {
      const calls = flaky.calls();
      // Invalid params on a routine tool: a model that got the schema wrong, retried up to three times.
      if (r.chance(0.5)) {
        const retries = r.int(1, 3);
        const failed: ToolCall[] = Array.from({ length: retries }, () => ({
          ...calls[calls.length - 1]!,
          errorCode: -32602,
          duration: r.int(2, 15),
          activity: undefined,
        }));
        calls.splice(calls.length - 1, 0, ...failed);
      }
      return calls;
    },
  });
  const writer = routineAgent(sim, r.pick(['research', 'reporting'] as const));
  writer.agent.toolArguments = true;
  writer.server.spans = true;
  runRoutine(sim, writer, sim.start, sim.end, {
    calls: () =>
      writer.calls().map((c) => ({
        ...c,
        args: {
          template: `../templates/${r.pick(['brief', 'weekly', 'summary'])}.md`,
          document: r.hex(r.int(10_000, 30_000) * 2),
        },
      })),
  });
}
