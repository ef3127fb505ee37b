/**
 * Finding 1 of issue 14, the other half: one event's fault (a bug a hostile record finds) costs
 * that event, not its batch and not its partition's state.
 */
import { describe, expect, it } from 'vitest';
import { InProcessPipeline } from '../../../src/pipeline/inProcess.ts';
import type { SignalEngine } from '../../../src/signals/engine.ts';
import { silentLogger } from '../../../src/telemetry/log.ts';
import { readFixture } from '../../helpers/fixtures.ts';
import { MemorySink, signals, testConfig } from '../../helpers/pipeline.ts';

/** The real rules, except that evaluating one event throws, as a bug would. */
function faultyOn(eventIdPart: string): SignalEngine {
  const real = signals();
  const faulty = Object.create(real) as SignalEngine;
  faulty.evaluate = (event, ctx, only) => {
    if (event.id.includes(eventIdPart)) throw new TypeError('a fault a hostile event finds');
    return real.evaluate(event, ctx, only);
  };
  return faulty;
}

describe('a fault on one event', () => {
  it("costs that event only: its neighbours are delivered and the partition's state is kept", async () => {
    const sink = new MemorySink();
    const pipeline = new InProcessPipeline({
      config: testConfig(),
      // The credential read by `cat` in orders-api: its evaluation throws.
      signals: faultyOn('security_file_permission'),
      sink,
      logger: silentLogger,
      host: 'test',
      clock: () => 0,
    });
    const first = await pipeline.submit([{ body: readFixture('tetragon/export.jsonl'), input: 'tetragon' }]);
    expect(first.stages.reasons.errored['stage-failed']).toBe(1);
    expect(first.stages.counts.delivered).toBeGreaterThan(10);
    // The partition kept what it had folded in: a later batch still sees those processes.
    const stats = pipeline.runner.owner.stats('workload');
    expect(stats.reduce((n, s) => n + Number(s.workloads), 0)).toBeGreaterThan(0);
  });
});
