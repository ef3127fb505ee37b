/**
 * Stage ① (stateless): decode → normalise → redact → route. One body in, events keyed by
 * workload and episodes keyed by cluster out, every part of the body counted in the report.
 * Never throws on input: a bad record is rejected with a reason code and dead-lettered.
 */
import type { KeyedEpisode, KeyedEvent } from '../model/episode.ts';
import { FeedTally, isFeedInput, type KeyedFeedBeats } from '../model/feedBeat.ts';
import type { RuntimeEvent } from '../model/event.ts';
import { isPermanentError } from '../errors.ts';
import type { EnvelopeLimits } from '../sources/envelope.ts';
import { unwrap } from '../sources/envelope.ts';
import { describeUnknown, detectSource, type SourceName } from '../sources/registry.ts';
import type { DecodeContext } from '../sources/source.ts';
import { redactEvent } from '../transforms/redact.ts';
import type { SignalEngine } from '../signals/engine.ts';
import { alertEpisode } from './alertEpisode.ts';
import { sha256 } from '../common/hash.ts';
import type { DeadLetter } from './deadLetter.ts';
import { count, emptyReport, type BatchReport } from '../common/report.ts';
import { route } from './route.ts';

export interface IngestOptions {
  decode: DecodeContext;
  limits: EnvelopeLimits;
  signals: SignalEngine;
  /** Clock for dead-letter and health row times (never for event time). */
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
  deadLetters: DeadLetter[];
  /** Feeds seen, per scope, for the feed tracker (every decoded event counts, whatever its route). */
  feedBeats: KeyedFeedBeats[];
  report: BatchReport;
}

export function ingest(inputs: readonly IngestInput[], options: IngestOptions): IngestOutput {
  const out: IngestOutput = {
    workloadEvents: [],
    episodes: [],
    health: [],
    deadLetters: [],
    feedBeats: [],
    report: emptyReport(),
  };
  const feeds = new FeedTally(options.decode.cluster, options.now());
  for (const input of inputs) ingestOne(input, options, out, isFeedInput(input.input) ? feeds : undefined);
  out.feedBeats = feeds.keyed();
  return out;
}

function ingestOne(input: IngestInput, options: IngestOptions, out: IngestOutput, feeds?: FeedTally): void {
  const reject = (
    reason: DeadLetter['reasonCode'],
    detail: string,
    text: string,
    sourceFormat: string,
    size = Buffer.byteLength(text),
  ) => {
    count(out.report, 'rejected', reason);
    out.deadLetters.push({
      time: options.now(),
      stage: 'ingest',
      reasonCode: reason,
      reason: detail,
      sourceFormat,
      input: input.input,
      sizeBytes: size,
      payloadSha256: sha256(text),
      partition: input.partition,
      offset: input.offset,
    });
  };

  const { records, rejections } = unwrap(input.body, options.limits);
  for (const r of rejections) reject(r.reason, r.detail, r.text, 'unknown');

  for (const record of records) {
    const source = detectSource(record.value, input.accept);
    if (!source) {
      const claimedBy = input.accept ? detectSource(record.value)?.name : undefined;
      const detail = claimedBy
        ? `record ${record.position} is ${claimedBy} data, but ${input.input} accepts only ${input.accept?.join(', ')}; post it to its own endpoint or to /ingest`
        : `record ${record.position}: ${describeUnknown(record.value)}`;
      reject('unknown-format', detail, JSON.stringify(record.value), claimedBy ?? 'unknown', record.size);
      continue;
    }
    let decoded;
    try {
      decoded = source.decode(record.value, options.decode);
    } catch (e) {
      if (!isPermanentError(e)) throw e;
      reject(
        e.code === 'config' || e.code === 'internal' ? 'schema-mismatch' : e.code,
        `record ${record.position}: ${e.message}`,
        JSON.stringify(record.value),
        source.name,
        record.size,
      );
      continue;
    }
    for (const drop of decoded.drops) count(out.report, 'dropped', drop.reason);
    for (const event of decoded.events) {
      redactEvent(event);
      feeds?.add(event);
      if (event.layer === 'health') {
        out.health.push(event);
        count(out.report, 'delivered', 'health');
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
    }
  }
}
