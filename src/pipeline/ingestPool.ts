/**
 * Stage ① on the other cores: decode → normalise → redact → route is stateless, so a pool of
 * `worker_threads` runs it while the main thread correlates (stages ② and ③). The caller keeps
 * order: each batch gets its own promise, and the runner folds results in in the order it asked
 * (per partition, as the transports deliver them). Bodies go over as bytes in a fresh buffer that is
 * transferred (the caller keeps its own, for a retry); results come back as plain data.
 *
 * A worker that dies (a crash, an out-of-memory abort) is replaced, and the batch it held runs once
 * more on the replacement; a second death fails the batch with a RetryableError, so the host replays
 * it as it would any transient failure. Memory is bounded by the bytes of bodies in flight: past
 * `maxBytesInFlight` a new batch waits for earlier ones to finish (one larger than the bound runs alone).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { RetryableError } from '../errors.ts';
import { ingestInSlices, type IngestInput, type IngestOptions, type IngestOutput } from '../ingest/ingest.ts';
import { SignalEngine } from '../signals/engine.ts';
import type { IngestWorkerSetup, IngestWorkerJob, IngestWorkerReply } from './ingestWorker.ts';

export type { IngestWorkerSetup };

/** Decodes one batch of stage ① inputs: in a worker pool, or inline (single-thread mode). */
export interface IngestDecoder {
  decode(inputs: readonly IngestInput[], now: number): Promise<IngestOutput>;
  close(): Promise<void>;
}

/** `pipeline.ingestWorkers`: `auto` is one worker per core but one (the main thread correlates), at least one. */
export function ingestWorkerCount(setting: number | 'auto', cores = availableParallelism()): number {
  return setting === 'auto' ? Math.max(1, cores - 1) : setting;
}

export interface IngestPoolOptions {
  size: number;
  setup: IngestWorkerSetup;
  /** Bytes of bodies queued or being decoded at once (default 64 MiB). */
  maxBytesInFlight?: number;
  /** The worker's module (tests run a worker that crashes on demand); default ingestWorker. */
  workerUrl?: URL;
  /** Called when a worker died and was replaced (for the log). */
  onWorkerLost?: (error: Error) => void;
}

interface Job {
  id: number;
  inputs: IngestInput[];
  now: number;
  bytes: number;
  attempts: number;
  resolve: (out: IngestOutput) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
  /** Whether the worker said it was ready (one that dies before that failed to start). */
  ready: boolean;
}

/** How many times a batch runs when its worker dies under it. */
const ATTEMPTS = 2;
/**
 * Workers in a row that die before their first answer: past it the pool stops starting them and
 * decodes on the calling thread (a worker that cannot start would otherwise be replaced forever
 * and every batch retried forever).
 */
const MAX_FAILED_STARTS = 3;

export class IngestPool implements IngestDecoder {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly maxBytes: number;
  private readonly workerUrl: URL;
  private bytesInFlight = 0;
  private nextId = 0;
  private closed = false;
  /** Workers replaced since start (health, tests). */
  replaced = 0;
  private failedStarts = 0;
  /** Set once workers could not start: stage ① runs on the calling thread from then on. */
  private inline: IngestOptions | undefined;

  constructor(private readonly options: IngestPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new RangeError('an ingest pool needs 1 worker or more');
    this.maxBytes = options.maxBytesInFlight ?? 64 * 1024 * 1024;
    this.workerUrl = options.workerUrl ?? defaultWorkerUrl();
    for (let i = 0; i < options.size; i++) this.slots.push(this.spawn());
  }

  get size(): number {
    return this.slots.length;
  }

  async decode(inputs: readonly IngestInput[], now: number): Promise<IngestOutput> {
    if (this.closed) throw new RetryableError('the ingest pool is closed', 'internal');
    let bytes = 0;
    for (const i of inputs) bytes += typeof i.body === 'string' ? i.body.length * 2 : i.body.byteLength;
    while (this.bytesInFlight > 0 && this.bytesInFlight + bytes > this.maxBytes)
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.bytesInFlight += bytes;
    try {
      return await new Promise<IngestOutput>((resolve, reject) => {
        this.queue.push({ id: this.nextId++, inputs: [...inputs], now, bytes, attempts: 0, resolve, reject });
        this.dispatch();
      });
    } finally {
      this.bytesInFlight -= bytes;
      this.waiting.splice(0).forEach((wake) => wake());
    }
  }

  /** Stops every worker; batches not yet done fail with a RetryableError. */
  async close(): Promise<void> {
    this.closed = true;
    const pending = [...this.queue.splice(0), ...this.slots.flatMap((s) => (s.job ? [s.job] : []))];
    for (const job of pending)
      job.reject(new RetryableError('the ingest pool closed before the batch was decoded', 'internal'));
    await Promise.all(
      this.slots.map((s) => {
        s.job = undefined;
        return s.worker.terminate();
      }),
    );
  }

  private spawn(): Slot {
    const worker = startWorker(this.workerUrl, this.options.setup);
    const slot: Slot = { worker, job: undefined, ready: false };
    worker.on('message', (reply: IngestWorkerReply) => {
      if ('ready' in reply) {
        slot.ready = true;
        this.failedStarts = 0;
        return;
      }
      const job = slot.job;
      if (!job || job.id !== reply.id) return;
      slot.job = undefined;
      // An idle worker does not keep the process alive; a busy one does (its caller waits on it).
      slot.worker.unref();
      if (reply.ok) job.resolve(reply.output);
      else job.reject(new Error(reply.error));
      this.dispatch();
    });
    // 'error' (an uncaught exception) is followed by 'exit'; the slot is replaced once, on exit.
    let lastError: Error | undefined;
    worker.on('error', (e) => (lastError = e));
    worker.on('exit', (code) => {
      if (this.closed) return;
      const error = lastError ?? new Error(`ingest worker exited with code ${code}`);
      this.replace(slot, error);
    });
    worker.unref();
    return slot;
  }

  private replace(dead: Slot, error: Error): void {
    const index = this.slots.indexOf(dead);
    if (index < 0) return;
    this.replaced++;
    this.options.onWorkerLost?.(error);
    const job = dead.job;
    dead.job = undefined;
    if (!dead.ready) {
      // The worker never started: not the batch's fault, so it does not use up an attempt.
      if (job) job.attempts--;
      if (++this.failedStarts >= MAX_FAILED_STARTS) {
        this.slots.splice(index, 1);
        if (job) this.queue.unshift(job);
        if (!this.slots.length) this.decodeInline(error);
        return;
      }
    }
    this.slots[index] = this.spawn();
    if (job) {
      if (job.attempts < ATTEMPTS) this.queue.unshift(job);
      else
        job.reject(
          new RetryableError(
            `the ingest worker decoding this batch stopped ${job.attempts} times (${error.name})`,
            'internal',
            {
              cause: error,
            },
          ),
        );
    }
    this.dispatch();
  }

  /** No worker can start: every queued and later batch is decoded here, as single-thread mode does. */
  private decodeInline(error: Error): void {
    const { decode, limits, packs } = this.options.setup;
    this.inline = { decode, limits, signals: new SignalEngine(packs), now: Date.now };
    this.options.onWorkerLost?.(
      new Error(`ingest workers failed to start ${MAX_FAILED_STARTS} times in a row; decoding on the main thread`, {
        cause: error,
      }),
    );
    this.dispatch();
  }

  private dispatch(): void {
    if (this.inline) {
      for (const job of this.queue.splice(0)) {
        const now = job.now;
        ingestInSlices(job.inputs, { ...this.inline, now: () => now }).then(job.resolve, job.reject);
      }
      return;
    }
    for (const slot of this.slots) {
      if (slot.job || !this.queue.length) continue;
      const job = this.queue.shift()!;
      job.attempts++;
      slot.job = job;
      slot.worker.ref();
      const { message, transfer } = jobMessage(job);
      slot.worker.postMessage(message, transfer);
    }
  }
}

/** The message for a job: each Buffer body copied into its own ArrayBuffer, which is transferred. */
function jobMessage(job: Job): { message: IngestWorkerJob; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const inputs = job.inputs.map((i) => {
    if (typeof i.body === 'string') return i;
    const copy = new Uint8Array(i.body.byteLength);
    copy.set(i.body);
    transfer.push(copy.buffer);
    return { ...i, body: copy };
  });
  return { message: { id: job.id, inputs, now: job.now }, transfer };
}

function defaultWorkerUrl(): URL {
  // From sources (tsx, vitest) the worker is the .ts file; from the build, the .js beside this one.
  const ts = import.meta.url.endsWith('.ts');
  return new URL(ts ? './ingestWorker.ts' : './ingestWorker.js', import.meta.url);
}

/**
 * A parent started from a string (`node --input-type=module -e …`, as some launchers and our
 * Kafka test harness do) passes flags a worker started from a file fails on: such a worker starts
 * without the parent's flags (the rest are heap settings of the process, not needed per worker).
 */
function workerExecArgv(): string[] | undefined {
  return process.execArgv.some((a) => STRING_ENTRY_ONLY.test(a)) ? [] : undefined;
}

const STRING_ENTRY_ONLY = /^(?:--input-type|--eval|-e|--print|-p)(?:=|$)/;

function startWorker(url: URL, setup: IngestWorkerSetup): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData: setup, execArgv: workerExecArgv() });
  // Sources run under tsx: the worker registers it before it imports its module.
  const bootstrap = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: setup });
}
