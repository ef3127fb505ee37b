/**
 * The whole pipeline in one process, through the one stage runner: stage ① → in-process bus →
 * every stage ② partition → bus → every stage ③ partition → rows. The local host, `replay`, the
 * bench and the tests all run this; the distributed hosts run the same runner over real hubs.
 */
import { emptyReport, mergeReports, type BatchReport } from '../common/report.ts';
import type { DeadLetter } from '../ingest/deadLetter.ts';
import type { KeyedEvent } from '../model/episode.ts';
import type { Story } from '../model/story.ts';
import type { SourceName } from '../sources/registry.ts';
import { InProcessBus } from './bus.ts';
import { FLUSH } from './control.ts';
import type { InternalHub } from './publisher.ts';
import type { RunnerDeps } from './runnerDeps.ts';
import { IngestPool } from './ingestPool.ts';
import { ingestDecodeContext, StageRunner, type StageBatch, type StageResult } from './stageRunner.ts';
import { NO_STATE } from './stateStore.ts';

/** One body to ingest: an HTTP request, a file chunk, a topic message. */
export interface InputBody {
  body: Buffer | string;
  /** Where it came from: `POST /falco`, a file name, a topic. */
  input: string;
  /** The products this input carries; all when absent. */
  accept?: readonly SourceName[];
}

export interface BatchResult {
  /** Input records by status and reason (stage ①). */
  records: BatchReport;
  /** Stage ② and ③ outcomes (e.g. duplicates dropped). */
  stages: BatchReport;
  /** Rows by status, per the sink. */
  rows: BatchReport;
  stories: Story[];
  /** Stage ① rejections with their reasons (an OTLP answer names them to the sender). */
  deadLetters: DeadLetter[];
}

export type InProcessOptions = Omit<RunnerDeps, 'publisher' | 'state' | 'ingestDecoder'> &
  Partial<Pick<RunnerDeps, 'state'>> & {
    /** Sees every workload event stage ① produced, before stage ② (`causeway policy check` observes a replay). */
    observe?: (events: readonly KeyedEvent[]) => void;
    /**
     * Worker threads for stage ① (`pipeline.ingestWorkers`, resolved): bodies decode on them while
     * this thread correlates earlier ones. 0 or absent: single-thread (tests, replay, Functions).
     */
    ingestWorkers?: number;
  };

export class InProcessPipeline {
  readonly runner: StageRunner;
  readonly bus: InProcessBus;

  /** Stage ①'s worker pool, when `ingestWorkers` asked for one. */
  readonly pool: IngestPool | undefined;
  /** Everything that must happen in submission order (stages ② and ③, ticks, flushes) chains here. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(options: InProcessOptions) {
    const c = options.config.correlation;
    if (options.ingestWorkers)
      this.pool = new IngestPool({
        size: options.ingestWorkers,
        setup: {
          decode: ingestDecodeContext(options.config),
          limits: options.config.limits,
          packs: options.signals.packs,
        },
        onWorkerLost: (error) =>
          options.logger.event('error', 'ingest.worker-lost', { error: error.name, replacedBy: 'a new worker' }),
      });
    this.bus = new InProcessBus(
      { 'workload-events': c.workloadPartitions, episodes: c.storyPartitions },
      options.observe,
    );
    this.runner = new StageRunner({
      snapshotEveryMs: Infinity,
      flushRowsEachBatch: false,
      ...options,
      state: options.state ?? NO_STATE,
      publisher: this.bus,
      ingestDecoder: this.pool,
    });
  }

  /**
   * Bodies through stage ①, then everything they caused through stages ② and ③. With a worker
   * pool, decoding starts at once (while earlier submissions correlate); the rest runs in
   * submission order, so a caller need not wait for one submission before making the next.
   */
  submit(inputs: readonly InputBody[]): Promise<BatchResult> {
    const batches: StageBatch[] = [];
    for (let i = 0; i < inputs.length;) {
      // Consecutive bodies from one input go as one batch.
      const { input, accept } = inputs[i]!;
      let j = i + 1;
      while (j < inputs.length && inputs[j]!.input === input && inputs[j]!.accept === accept) j++;
      const messages = inputs.slice(i, j).map((b) => ({ body: b.body }));
      batches.push({ stage: 'ingest', partition: '0', source: input, accept, messages });
      i = j;
    }
    const decoded = this.pool ? batches.map((b) => this.runner.decode(b)) : [];
    return this.inOrder(async () => {
      const result = newResult();
      for (let k = 0; k < batches.length; k++) {
        const r = await this.runner.run(batches[k]!, decoded[k]);
        mergeReports(result.records, r.report);
        mergeReports(result.rows, r.rows);
        result.deadLetters.push(...r.deadLetters);
      }
      await this.drain(result);
      return result;
    });
  }

  /** The timer: releases parked children in quiet workloads and closes idle stories. */
  tick(): Promise<BatchResult> {
    return this.inOrder(async () => {
      await this.runner.tick();
      return this.drain(newResult());
    });
  }

  /** End of input: parked events go on with their gap recorded, held story updates are written. */
  flush(): Promise<BatchResult> {
    return this.inOrder(async () => {
      await this.bus.publish('workload-events', [{ key: '*', body: FLUSH }]);
      const result = await this.drain(newResult());
      await this.runner.flushRows({
        report: result.stages,
        rows: result.rows,
        stories: result.stories,
        deadLetters: [],
      });
      return result;
    });
  }

  /** Rows made durable, then every partition saved to the state store. */
  snapshot(): Promise<void> {
    return this.inOrder(() => this.runner.snapshotAll());
  }

  /** Stops the worker pool (a clean stop); single-thread: nothing to do. */
  async close(): Promise<void> {
    await this.inOrder(async () => undefined).catch(() => undefined);
    await this.pool?.close();
  }

  /** Runs after everything submitted before it, whether that succeeded or failed. */
  private inOrder<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async drain(result: BatchResult): Promise<BatchResult> {
    while (this.bus.pending('workload-events') || this.bus.pending('episodes')) {
      await this.drainHub('workload-events', result);
      await this.drainHub('episodes', result);
    }
    return result;
  }

  private async drainHub(hub: InternalHub, result: BatchResult): Promise<void> {
    const stage = hub === 'workload-events' ? 'workload' : 'story';
    for (let p = 0; p < this.bus.partitions[hub]; p++) {
      const bodies = this.bus.drain(hub, p);
      if (!bodies.length) continue;
      const messages = bodies.map((body) => ({ body }));
      const r: StageResult = await this.runner.run({ stage, partition: String(p), source: hub, messages });
      mergeReports(result.stages, r.report);
      mergeReports(result.rows, r.rows);
      for (const s of r.stories) result.stories.push(s);
      // Between partitions the event loop runs: a host answers /healthz and signals while a large body goes through.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

function newResult(): BatchResult {
  return { records: emptyReport(), stages: emptyReport(), rows: emptyReport(), stories: [], deadLetters: [] };
}
