/**
 * One worker of the ingest pool (ingestPool.ts): stage ① (decode → normalise → redact → route) on
 * batches the main thread sends, with the same options the runner would use inline. The clock is
 * the main thread's: each job carries its `now`, so a batch decodes the same in a worker as inline.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ingestInSlices, type IngestInput, type IngestOutput } from '../ingest/ingest.ts';
import type { RulePack } from '../signals/rulePack.ts';
import { SignalEngine } from '../signals/engine.ts';
import type { DecodeContext } from '../sources/source.ts';
import type { IngestLimits } from '../ingest/ingest.ts';

/** What every worker is started with: plain data (the rule packs, not the compiled engine). */
export interface IngestWorkerSetup {
  decode: DecodeContext;
  limits: IngestLimits;
  packs: readonly RulePack[];
}

/** One batch; Buffer bodies arrive as Uint8Array views of their transferred copy. */
export interface IngestWorkerJob {
  id: number;
  inputs: (Omit<IngestInput, 'body'> & { body: string | Uint8Array })[];
  now: number;
}

/** A batch's answer, or `ready` once the worker has loaded and listens. */
export type IngestWorkerReply =
  { id: number; ok: true; output: IngestOutput } | { id: number; ok: false; error: string } | { ready: true };

if (parentPort) {
  const port = parentPort;
  const setup = workerData as IngestWorkerSetup;
  const signals = new SignalEngine(setup.packs);
  port.on('message', (job: IngestWorkerJob) => {
    const now = job.now;
    const inputs: IngestInput[] = job.inputs.map((i) => ({
      ...i,
      body: typeof i.body === 'string' ? i.body : Buffer.from(i.body.buffer, i.body.byteOffset, i.body.byteLength),
    }));
    // A worker has no event loop to share: the batch goes through in one slice.
    ingestInSlices(inputs, { decode: setup.decode, limits: setup.limits, signals, now: () => now }, Infinity).then(
      (output) => port.postMessage({ id: job.id, ok: true, output } satisfies IngestWorkerReply),
      (e: unknown) =>
        port.postMessage({
          id: job.id,
          ok: false,
          error: `stage ① failed in an ingest worker (${e instanceof Error ? e.name : 'fault'})`,
        } satisfies IngestWorkerReply),
    );
  });
  port.postMessage({ ready: true } satisfies IngestWorkerReply);
}
