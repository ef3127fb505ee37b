/**
 * Arrival order does not change the stories. Partitions, sensors on different nodes and delayed
 * exporters deliver a scenario in any order (a Kafka consumer reads partition by partition); the
 * stories that come out must be the ones the ordered run gives: same ids, versions, signals and
 * evidence. fast-check shuffles each attack scenario and shrinks a failure to a small reordering.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoAttack } from '../../src/demo/scenarios.ts';
import { compromisedTool, imdsTheft, reverseShell } from './scenarios.ts';
import type { ScenarioInput } from '../../src/demo/scenario.ts';
import { liveStories, runScenario } from '../helpers/pipeline.ts';

const BASE = Date.parse('2026-11-20T10:00:00Z');

async function outcome(inputs: ScenarioInput[]): Promise<string[]> {
  return liveStories(await runScenario(inputs)).map(
    (s) =>
      `${s.storyId} v${s.version} ${s.severity} ${s.signals.map((x) => x.ruleId).join(',')} timeline ${s.timeline.length} edges ${s.graph.edges.length}`,
  );
}

describe('arrival order', () => {
  const scenarios: [string, ScenarioInput[]][] = [
    ['demo', demoAttack('aks-demo', BASE)],
    ['reverse shell (Falco alert before the process it names)', reverseShell('aks-demo', BASE)],
    ['IMDS theft', imdsTheft('aks-demo', BASE)],
    ['compromised tool', compromisedTool('aks-demo', BASE)],
  ];

  it.each(scenarios)('%s: any permutation gives the stories of the ordered run', async (_, inputs) => {
    const expected = await outcome(inputs);
    await fc.assert(
      // Indices, so a counterexample prints as an order, not as the payloads.
      fc.asyncProperty(
        fc.shuffledSubarray([...inputs.keys()], { minLength: inputs.length, maxLength: inputs.length }),
        async (order) => {
          expect(await outcome(order.map((i) => inputs[i]!))).toEqual(expected);
        },
      ),
      { numRuns: 25 },
    );
  });
});
