/**
 * Stage ① (stateless): decode → normalise → redact → route. One body in, events keyed by
 * workload and episodes keyed by cluster out, every record of the body counted once in the report.
 * Never throws on input: a bad record is rejected with a reason code and dead-lettered (one dead
 * letter per reason per body), and a fault on one record never costs its neighbours. Work per body
 * is bounded (`limits.maxRecordsPerBody`) and comes in slices: `ingestInSlices` yields to the event
 * loop between them, so a host stays responsive while a large body goes through.
 */
import type { KeyedEpisode, KeyedEvent } from '../model/episode.ts';
import type { RuntimeEvent } from '../model/event.ts';
import { FeedTally, isFeedInput, type KeyedFeedBeats } from '../model/feedBeat.ts';
import { isPermanentError } from '../errors.ts';
import { count, emptyReport, type BatchReport } from '../common/report.ts';
import type { ReasonCode } from '../common/status.ts';
import { describeWindow, inWindow, timeWindow, type TimeLimits, type TimeWindow } from '../common/timeWindow.ts';
import { isGzip } from '../common/gzip.ts';
import {
  emptyUnwrapped,
  inflateBodyAsync,
  unwrapInSteps,
  type EnvelopeLimits,
  type Inflated,
  type RawRecord,
} from '../sources/envelope.ts';
import { serialise } from '../sources/jsonText.ts';
import { describeUnknown, detectSource, type SourceName } from '../sources/registry.ts';
import type { DecodeContext, DecodeResult } from '../sources/source.ts';
import { redactEvent } from '../transforms/redact.ts';
import type { SignalEngine } from '../signals/engine.ts';
import { alertEpisode } from './alertEpisode.ts';
import { DeadLetterBook, type DeadLetter } from './deadLetter.ts';
import { route } from './route.ts';

/** Limits stage ① applies: per record, per body, and the sane range of event times. */
export type IngestLimits = EnvelopeLimits & Partial<TimeLimits>;

export interface IngestOptions {
  decode: DecodeContext;
  limits: IngestLimits;
  signals: SignalEngine;
  /** Clock for dead-letter and health row times and the upper bound of event times (never for event time). */
  now: () => number;
}

export interface IngestInput {
  body: Buffer | string;
  /** Where it came from: `POST /falco`, a file name, a hub or topic. */
  input: string;
  /** Sources this input accepts (an endpoint per product); all when absent. */
  accept?: readonly SourceName[];
  partition?: string;
  offset?: string;
}

export interface IngestOutput {
  workloadEvents: KeyedEvent[];
  episodes: KeyedEpisode[];
  /** Upstream data-loss and exporter-limit notices: they become health rows, not stories. */
  health: RuntimeEvent[];
  /** One per reason and source format per body, with the number of records it stands for. */
  deadLetters: DeadLetter[];
  /** Feeds seen, per scope, for the feed tracker (every decoded event counts, whatever its route). */
  feedBeats: KeyedFeedBeats[];
  report: BatchReport;
}

function emptyOutput(): IngestOutput {
  return { workloadEvents: [], episodes: [], health: [], deadLetters: [], feedBeats: [], report: emptyReport() };
}

/** The whole batch at once (tests, the bench, small batches). */
export function ingest(inputs: readonly IngestInput[], options: IngestOptions): IngestOutput {
  const out = emptyOutput();
  for (const _ of ingestInSteps(inputs, options, out));
  return out;
}

/** How long stage ① works before it lets the event loop run (signals, /healthz, other requests). */
export const INGEST_SLICE_MS = 20;

/** The batch in slices of about `sliceMs` of work, yielding to the event loop between them. */
export async function ingestInSlices(
  inputs: readonly IngestInput[],
  options: IngestOptions,
  sliceMs = INGEST_SLICE_MS,
): Promise<IngestOutput> {
  const out = emptyOutput();
  // Gzip bodies are inflated in zlib's thread pool first, so inflating blocks nothing either.
  const inflated = await Promise.all(
    inputs.map((i) =>
      typeof i.body !== 'string' && isGzip(i.body) ? inflateBodyAsync(i.body, options.limits) : undefined,
    ),
  );
  let since = performance.now();
  let steps = 0;
  for (const _ of ingestInSteps(inputs, options, out, inflated)) {
    if ((++steps & 63) !== 0 || performance.now() - since < sliceMs) continue;
    await new Promise<void>((resolve) => setImmediate(resolve));
    since = performance.now();
  }
  return out;
}

/** Every input of the batch, a few records per step. */
function* ingestInSteps(
  inputs: readonly IngestInput[],
  options: IngestOptions,
  out: IngestOutput,
  inflated: readonly (Inflated | undefined)[] = [],
): Generator<void> {
  const now = options.now();
  const ctx: DecodeContext = {
    ...options.decode,
    time: { window: timeWindow(now, options.limits), limits: options.limits, arrival: now },
  };
  const feeds = new FeedTally(options.decode.cluster, now);
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    yield* ingestOne(input, options, ctx, out, inflated[i], isFeedInput(input.input) ? feeds : undefined);
  }
  out.feedBeats = feeds.keyed();
}

function* ingestOne(
  input: IngestInput,
  options: IngestOptions,
  ctx: DecodeContext,
  out: IngestOutput,
  inflated: Inflated | undefined,
  feeds: FeedTally | undefined,
): Generator<void> {
  const book = new DeadLetterBook({
    time: ctx.time!.arrival,
    stage: 'ingest',
    input: input.input,
    partition: input.partition,
    offset: input.offset,
  });
  const reject = (
    reason: ReasonCode,
    detail: string,
    sourceFormat: string,
    payload: () => string | Buffer,
    size: number,
    position?: number,
    n = 1,
  ) => {
    count(out.report, 'rejected', reason, n);
    book.add({ reasonCode: reason, reason: detail, sourceFormat, payload, sizeBytes: size, position, count: n });
  };
  const parts = emptyUnwrapped(options.limits);
  const take = () => {
    for (const r of parts.rejections)
      reject(r.reason, r.detail, 'unknown', () => r.text, Buffer.byteLength(r.text), r.position, r.count ?? 1);
    for (const d of parts.drops) count(out.report, 'dropped', d.reason);
    for (const record of parts.records) ingestRecord(record, input, options, ctx, out, reject, feeds);
    parts.rejections.length = 0;
    parts.drops.length = 0;
    parts.records.length = 0;
  };
  for (const _ of unwrapInSteps(input.body, options.limits, parts, inflated)) {
    take();
    yield;
  }
  take();
  out.deadLetters.push(...book.letters());
}

type Reject = (
  reason: ReasonCode,
  detail: string,
  sourceFormat: string,
  payload: () => string | Buffer,
  size: number,
  position?: number,
) => void;

/** One record: detect, decode, and for each event redact, check its times and route it. */
function ingestRecord(
  record: RawRecord,
  input: IngestInput,
  options: IngestOptions,
  ctx: DecodeContext,
  out: IngestOutput,
  reject: Reject,
  feeds: FeedTally | undefined,
): void {
  const text = () => serialise(record.value);
  const source = detectSource(record.value, input.accept);
  if (!source) {
    const claimedBy = input.accept ? detectSource(record.value)?.name : undefined;
    const detail = claimedBy
      ? `record ${record.position} is ${claimedBy} data, but ${input.input} accepts only ${input.accept?.join(', ')}; post it to its own endpoint or to /ingest`
      : `record ${record.position}: ${describeUnknown(record.value)}`;
    reject('unknown-format', detail, claimedBy ?? 'unknown', text, record.size, record.position);
    return;
  }
  let decoded: DecodeResult;
  try {
    decoded = source.decode(record.value, ctx);
  } catch (e) {
    const permanent = isPermanentError(e) && e.code !== 'config' && e.code !== 'internal';
    // A fault that is not a PermanentError is the decoder's (a shape it did not expect): it costs
    // this record only, and its message is not quoted (it may echo the record).
    reject(
      permanent ? (e.code as ReasonCode) : 'decode-failed',
      permanent
        ? `record ${record.position}: ${e.message}`
        : `record ${record.position}: the ${source.name} decoder could not read it (${e instanceof Error ? e.name : 'fault'}); the record's shape is unexpected`,
      source.name,
      text,
      record.size,
      record.position,
    );
    return;
  }
  for (const drop of decoded.drops) count(out.report, 'dropped', drop.reason);
  for (const r of decoded.rejects ?? [])
    reject(r.reason, `record ${record.position}: ${r.detail}`, source.name, text, 0, record.position);
  for (const event of decoded.events) {
    try {
      redactEvent(event);
      feeds?.add(event);
      const window = ctx.time!.window;
      if (event.layer === 'health') {
        // A notice of lost data is kept whatever its clock said: with the arrival time.
        if (!inWindow(event.time, window)) event.time = ctx.time!.arrival;
        out.health.push(event);
        count(out.report, 'delivered', 'health');
        continue;
      }
      const badTime = invalidTime(event, window);
      if (badTime) {
        reject(
          'bad-time',
          `record ${record.position}: the ${source.name} event's ${badTime} is outside the accepted range (${describeWindow(options.limits)})`,
          source.name,
          text,
          record.size,
          record.position,
        );
        continue;
      }
      const r = route(event);
      if (r.to === 'none') {
        count(out.report, 'dropped', 'filtered');
        continue;
      }
      if (r.to === 'workload') out.workloadEvents.push({ key: r.key, event });
      else out.episodes.push({ key: r.key, episode: alertEpisode(event, options.signals) });
      count(out.report, 'delivered', 'ok');
    } catch (e) {
      reject(
        'decode-failed',
        `record ${record.position}: the ${source.name} event could not be prepared (${e instanceof Error ? e.name : 'fault'})`,
        source.name,
        text,
        record.size,
        record.position,
      );
    }
  }
}

/**
 * The first time of the event outside the window, by its field name; undefined when all are in.
 * Process start times are hints (parking, lineage): one out of range is removed, not fatal.
 */
function invalidTime(event: RuntimeEvent, window: TimeWindow): string | undefined {
  if (!inWindow(event.time, window)) return 'time';
  const t = event.trace;
  if (t?.startTime !== undefined && !inWindow(t.startTime, window)) return 'trace.startTime';
  if (t?.endTime !== undefined && !inWindow(t.endTime, window)) return 'trace.endTime';
  const p = event.process;
  if (p?.startTime !== undefined && !inWindow(p.startTime, window)) delete p.startTime;
  if (p?.parentStartTime !== undefined && !inWindow(p.parentStartTime, window)) delete p.parentStartTime;
  return undefined;
}
