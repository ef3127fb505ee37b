/**
 * Stage ① in worker threads (issue 20): results come back per batch in the order asked, a worker
 * that dies is replaced (its batch runs again, and fails as retryable when it dies twice), and the
 * pipeline with a pool writes exactly what the single-thread pipeline writes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isRetryableError } from '../../../src/errors.ts';
import { IngestPool, ingestWorkerCount } from '../../../src/pipeline/ingestPool.ts';
import { ingestDecodeContext } from '../../../src/pipeline/stageRunner.ts';
import { ingest } from '../../../src/ingest/ingest.ts';
import { InProcessPipeline } from '../../../src/pipeline/inProcess.ts';
import { demoAttack } from '../../../src/demo/scenarios.ts';
import { silentLogger } from '../../../src/telemetry/log.ts';
import { readFixture } from '../../helpers/fixtures.ts';
import { MemorySink, signals, testConfig } from '../../helpers/pipeline.ts';

const config = testConfig();
const setup = () => ({ decode: ingestDecodeContext(config), limits: config.limits, packs: signals().packs });
const NOW = Date.parse('2026-11-20T12:00:00Z');
const pools: IngestPool[] = [];
function pool(options: Partial<ConstructorParameters<typeof IngestPool>[0]> = {}): IngestPool {
  const p = new IngestPool({ size: 2, setup: setup(), ...options });
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

const lines = readFixture('tetragon/export.jsonl')
  .toString()
  .split('\n')
  .filter((l) => l.trim());

describe('the ingest pool', () => {
  it('answers each batch with what inline stage ① makes of it, in the order asked', async () => {
    const p = pool();
    const batches = lines.map((line, i) => [
      { body: i % 2 ? Buffer.from(line + '\n') : line + '\n', input: 'tetragon', partition: '0', offset: String(i) },
    ]);
    const outputs = await Promise.all(batches.map((b) => p.decode(b, NOW)));
    const options = { decode: setup().decode, limits: config.limits, signals: signals(), now: () => NOW };
    expect(outputs).toEqual(batches.map((b) => ingest(b, options)));
    expect(outputs.reduce((n, o) => n + o.workloadEvents.length, 0)).toBeGreaterThan(10);
  });

  it('decodes on the calling thread when workers cannot start, instead of replacing them forever', async () => {
    const lost: Error[] = [];
    const p = pool({
      size: 1,
      workerUrl: new URL('../../fixtures/pipeline/no-such-worker.ts', import.meta.url),
      onWorkerLost: (e) => lost.push(e),
    });
    const batch = [{ body: lines.join('\n') + '\n', input: 'tetragon' }];
    const out = await p.decode(batch, NOW);
    const options = { decode: setup().decode, limits: config.limits, signals: signals(), now: () => NOW };
    expect(out).toEqual(ingest(batch, options));
    expect(await p.decode(batch, NOW)).toEqual(out);
    expect(p.replaced).toBe(3);
    expect(lost.at(-1)!.message).toContain('decoding on the main thread');
  });

  it('replaces a worker that dies and runs its batch again on the new one', async () => {
    const crashes = new Int32Array(new SharedArrayBuffer(4));
    crashes[0] = 1;
    const lost: Error[] = [];
    const p = pool({
      size: 1,
      setup: { ...setup(), crashes } as ReturnType<typeof setup>,
      workerUrl: new URL('../../fixtures/pipeline/crashingIngestWorker.ts', import.meta.url),
      onWorkerLost: (e) => lost.push(e),
    });
    const out = await p.decode([{ body: `${lines[0]}\n{"CRASH":1}\n`, input: 'tetragon' }], NOW);
    expect(out.report.counts.delivered).toBe(1);
    expect(out.report.counts.rejected).toBe(1);
    expect(p.replaced).toBe(1);
    expect(lost).toHaveLength(1);
  });

  it('fails a batch whose worker dies twice as retryable, and goes on with the next', async () => {
    const crashes = new Int32Array(new SharedArrayBuffer(4));
    crashes[0] = 2;
    const p = pool({
      size: 1,
      setup: { ...setup(), crashes } as ReturnType<typeof setup>,
      workerUrl: new URL('../../fixtures/pipeline/crashingIngestWorker.ts', import.meta.url),
    });
    const failed = p.decode([{ body: '{"CRASH":1}\n', input: 'tetragon' }], NOW);
    const next = p.decode([{ body: `${lines[0]}\n`, input: 'tetragon' }], NOW);
    const error = await failed.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isRetryableError(error)).toBe(true);
    expect((await next).report.counts.delivered).toBe(1);
    expect(p.replaced).toBe(2);
    expect(p.size).toBe(1);
  });

  it('holds back a batch while the bodies in flight are over the bound', async () => {
    const p = pool({ size: 1, maxBytesInFlight: 1 });
    const done: number[] = [];
    const all = lines
      .slice(0, 4)
      .map((l, i) => p.decode([{ body: l + '\n', input: 'tetragon' }], NOW).then(() => done.push(i)));
    await Promise.all(all);
    expect(done).toEqual([0, 1, 2, 3]);
  });

  it('sizes itself to the cores but one, and at least one worker', () => {
    expect(ingestWorkerCount('auto', 2)).toBe(1);
    expect(ingestWorkerCount('auto', 1)).toBe(1);
    expect(ingestWorkerCount('auto', 8)).toBe(7);
    expect(ingestWorkerCount(0, 8)).toBe(0);
  });
});

describe('the in-process pipeline with ingest workers', () => {
  it('writes the same rows and stories as in a single thread, with submissions not awaited one by one', async () => {
    const inputs = demoAttack('aks-demo', Date.parse('2026-11-20T10:00:00Z'));
    const run = async (workers: number) => {
      const sink = new MemorySink();
      const pipeline = new InProcessPipeline({
        config,
        signals: signals(),
        sink,
        logger: silentLogger,
        host: 'test',
        clock: () => 0,
        ingestWorkers: workers,
      });
      const results = await Promise.all(inputs.map((i) => pipeline.submit([{ body: i.body, input: i.input }])));
      const last = await pipeline.flush();
      await pipeline.close();
      return { tables: Object.fromEntries(sink.tables), stories: [...results, last].flatMap((r) => r.stories) };
    };
    const single = await run(0);
    const pooled = await run(2);
    expect(single.stories.length).toBeGreaterThan(0);
    expect(pooled).toEqual(single);
  });
});
