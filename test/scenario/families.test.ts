/**
 * One attack, one story, nothing else in it (DESIGN §4.1, issue 13), asserted per attack family
 * of the labelled corpus (test/corpus) in every arrival order, against the ground truth the
 * generator keeps outside the stream. The targets are the bench's (bench/quality/score.ts):
 * every attack in exactly one Medium+ story, fact recall ≥ 0.98, evidence precision ≥ 0.9, no
 * benign Medium+ story, no story merging two attacks. `BENCH_SECTIONS=6 npm run bench` measures
 * the same over five seeds per family.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { replay } from '../../bench/quality/replay.ts';
import { summarise, targetReport, type RunScore, type Target } from '../../bench/quality/score.ts';
import { ARRIVAL_ORDERS, type ArrivalOrder } from '../corpus/arrival.ts';
import { FAMILIES } from '../corpus/catalogue.ts';
import { generateScenario } from '../corpus/scenario.ts';

const SEED = 1;

const TARGET_NAMES: Record<Target, string> = {
  storiesPerAttack: 'puts every attack in exactly one Medium+ story',
  factRecall: 'holds at least 98% of each attack’s facts in its story',
  precision: 'keeps at least 90% of its evidence rows on the attack',
  benignPerHour: 'raises no Medium+ story from benign activity',
  merged: 'never merges two attacks into one story',
};

describe.each(FAMILIES.map((f) => [f.name, f] as const))('corpus family %s', (name, family) => {
  const scores = new Map<ArrivalOrder, RunScore>();

  beforeAll(async () => {
    const scenario = generateScenario(family, SEED);
    for (const order of ARRIVAL_ORDERS) scores.set(order, await replay(scenario, order));
  }, 600_000);

  for (const order of ARRIVAL_ORDERS)
    for (const target of Object.keys(TARGET_NAMES) as Target[])
      it(`${TARGET_NAMES[target]} (${order} order)`, () => {
        const summary = summarise([scores.get(order)!]);
        const report = targetReport(summary).find((r) => r.target === target)!;
        expect(report.met, `${name} in ${order} order: ${report.detail}`).toBe(true);
        expect(summary.unlabelledRows, 'evidence rows without a label').toBe(0);
      });
});
