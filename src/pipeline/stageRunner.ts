/**
 * THE flow (DESIGN §2), written once for every host: one batch of one partition of one stage.
 *
 *   ① ingest   decode → normalise → redact → route → publish keyed events and episodes; dead letters
 *   ② workload restore → skip seen → lineage, attribution, signals → publish episodes; profile rows
 *   ③ story    restore → skip seen → join episodes → story and evidence rows
 *   then deliver (publish acknowledged, rows accepted) and snapshot; only then may the host
 *   checkpoint or commit.
 *
 * Hosts add transport only: the Functions host turns trigger metadata into a StageBatch, the Kafka
 * host a consumer batch, the local host its in-process bus (InProcessPipeline). Throws only for
 * retryable failures (the host replays the batch); a message that is not the stage's contract is
 * dead-lettered and never blocks its partition.
 */
import { count, emptyReport, mergeReports } from '../common/report.ts';
import { oneLine } from '../common/displayText.ts';
import type { ReasonCode } from '../common/status.ts';
import { eventInWindow, timeWindow, type TimeWindow } from '../common/timeWindow.ts';
import { isPermanentError, isRetryableError } from '../errors.ts';
import { DeadLetterBook } from '../ingest/deadLetter.ts';
import { ingestInSlices, type IngestInput, type IngestOptions, type IngestOutput } from '../ingest/ingest.ts';
import { BROADCAST, type KeyedEvent } from '../model/episode.ts';
import { deadLetterRow, profileRow, storyRows, upstreamHealthRow } from '../sinks/rows.ts';
import type { Row, TableName } from '../sinks/tables.ts';
import { inventoryRow } from '../inventory/inventoryRow.ts';
import { redactText } from '../transforms/redact.ts';
import {
  FLUSH,
  flushMarker,
  isControl,
  runsOf,
  type ControlMessage,
  type FlushMessage,
  type TickMessage,
} from './control.ts';
import { PartitionOwner, type Owned } from './partitionOwner.ts';
import type { InternalHub, KeyedMessage } from './publisher.ts';
import type { RunnerDeps } from './runnerDeps.ts';
import { withGap } from './gapReader.ts';
import { ingestDecodeContext, type DecodedBatch, type StageBatch, type StageResult } from './stageBatch.ts';

export * from './stageBatch.ts';
import {
  bodyOf,
  episodeInWindow,
  isKeyedEpisode,
  isKeyedEvent,
  isKeyedFeedBeats,
  keyedEpisode,
  keyedEvent,
  parseMessage,
} from './stageMessages.ts';
import { FeedBeatThrottle } from './feedBeatThrottle.ts';
import type { StoryMessage } from './storyObservers.ts';
import { createStoryStage, createWorkloadStage } from './stages.ts';

export class StageRunner {
  readonly owner: PartitionOwner;
  /** Everything every batch reported, since start. */
  readonly totals = emptyReport();
  lastError: string | undefined;
  private readonly ingestOptions: IngestOptions;
  private readonly feedBeats = new FeedBeatThrottle();

  constructor(readonly deps: RunnerDeps) {
    const { config, signals, clock } = deps;
    this.ingestOptions = {
      decode: ingestDecodeContext(config),
      limits: config.limits,
      signals,
      now: clock,
    };
    this.owner = new PartitionOwner(deps, {
      workload: () => createWorkloadStage(deps),
      story: (partition) => createStoryStage(deps, Number(partition)),
    });
  }

  /**
   * `decoded`: stage ①'s stateless half of this ingest batch, started earlier with `decode` (a
   * host decodes the next batch in its worker pool while this thread correlates the previous one).
   */
  async run(batch: StageBatch, decoded?: Promise<DecodedBatch>): Promise<StageResult> {
    const result: StageResult = { report: emptyReport(), rows: emptyReport(), stories: [], deadLetters: [] };
    if (batch.stage === 'ingest') await this.guard(batch, result, undefined, () => this.ingest(batch, result, decoded));
    else {
      const owned = await this.owner.own(batch.stage, batch.partition, batch.messages[0]?.sequence);
      batch = await withGap(this.deps, batch, owned, result.report);
      if (owned.invalidState) {
        count(result.report, 'dropped', 'invalid-state', owned.invalidState);
        this.deps.logger.event('warn', 'state.invalid-dropped', {
          stage: batch.stage,
          partition: batch.partition,
          values: owned.invalidState,
        });
        owned.invalidState = 0;
      }
      await this.guard(batch, result, owned, () =>
        batch.stage === 'workload' ? this.workload(batch, owned, result) : this.story(batch, owned, result),
      );
    }
    mergeReports(this.totals, result.report);
    return result;
  }

  /**
   * The timer: a tick on every partition of both internal hubs. Workload partitions release what
   * waited past the parking timeout in a workload gone quiet; story partitions close idle stories.
   */
  async tick(): Promise<void> {
    const tick: TickMessage = { control: 'tick', now: this.deps.clock() };
    await this.publish('workload-events', [{ key: BROADCAST, body: tick }]);
    await this.publish('episodes', [{ key: BROADCAST, body: tick }]);
  }

  /** Rows delivered since the last flush are made durable (before a snapshot or a commit). */
  async flushRows(result?: StageResult): Promise<void> {
    const report = await this.deps.sink.flush();
    mergeReports(this.totals, report);
    if (result) mergeReports(result.rows, report);
  }

  /** Saves every partition with progress past its snapshot, rows first (a clean stop, a timer). */
  async snapshotAll(): Promise<void> {
    await this.flushRows();
    await this.owner.saveAll();
  }

  /**
   * Stage ①'s stateless half of an ingest batch: flush markers picked out, the rest decoded,
   * normalised, redacted and routed (in the worker pool when the host has one). Never rejects:
   * a failure is handed to `run`, which counts or rethrows it as for inline decoding.
   */
  async decode(batch: StageBatch): Promise<DecodedBatch> {
    const markers: FlushMessage[] = [];
    try {
      return { markers, output: await this.decodeInputs(batch, markers) };
    } catch (error) {
      return { markers, error };
    }
  }

  private decodeInputs(batch: StageBatch, markers: FlushMessage[]): Promise<IngestOutput> {
    const inputs: IngestInput[] = [];
    for (const m of batch.messages) {
      const body = bodyOf(m.body);
      const marker = flushMarker(body);
      if (marker) markers.push(marker.id ? { ...marker, from: `${batch.source}/${batch.partition}` } : FLUSH);
      else
        inputs.push({
          body,
          input: batch.source,
          accept: batch.accept,
          partition: batch.partition,
          offset: m.sequence === undefined ? undefined : String(m.sequence),
        });
    }
    const now = this.deps.clock();
    return this.deps.ingestDecoder
      ? this.deps.ingestDecoder.decode(inputs, now)
      : // In slices: a large body lets the event loop run (signals, /healthz) while it goes through.
        ingestInSlices(inputs, { ...this.ingestOptions, now: () => now });
  }

  private async ingest(batch: StageBatch, result: StageResult, decoded?: Promise<DecodedBatch>): Promise<void> {
    const d = await (decoded ?? this.decode(batch));
    if (!d.output) throw d.error;
    const { markers, output: out } = d;
    mergeReports(result.report, out.report);
    result.deadLetters.push(...out.deadLetters);
    await this.publish('workload-events', out.workloadEvents.map(keyedEvent), batch, result);
    await this.publish('episodes', out.episodes.map(keyedEpisode), batch, result);
    // Feed heartbeats ride with the episodes, keyed like them: each scope's feeds meet in one story
    // partition. At most one a minute per scope and feed from this process (feedBeatThrottle.ts).
    await this.publish(
      'episodes',
      this.feedBeats.admit(out.feedBeats, this.deps.clock()).map((b) => ({ key: b.key, body: b })),
      batch,
      result,
    );
    await this.publish(
      'workload-events',
      markers.map((body) => ({ key: BROADCAST, body })),
      batch,
      result,
    );
    const host = this.deps.host;
    await this.write(result, 'CausewayPipeline_CL', [
      ...out.deadLetters.map((d) => deadLetterRow(d, host)),
      ...out.health.map((h) => upstreamHealthRow(h, host)),
    ]);
    if (this.deps.flushRowsEachBatch !== false) await this.flushRows(result);
  }

  private async workload(batch: StageBatch, owned: Owned, result: StageResult): Promise<void> {
    const stage = owned.workload!;
    const window = this.window();
    const { valid, last } = await this.unseen(
      batch,
      owned,
      (m): m is KeyedEvent => isKeyedEvent(m) && eventInWindow(m.event, window),
      result,
    );
    for (const run of runsOf(valid)) {
      const c = run.control;
      if (c?.control === 'flush' && !owned.flushes.complete(c)) continue;
      const out = !c
        ? stage.process(run.messages, String(last))
        : c.control === 'tick'
          ? stage.tick(c.now)
          : stage.flush();
      mergeReports(result.report, out.report);
      await this.publish('episodes', out.episodes.map(keyedEpisode), batch, result);
      await this.write(
        result,
        'CausewayProfiles_CL',
        out.profiles.map((r) => profileRow(r.profile, r.time, r.deviation, r.pod)),
      );
      await this.write(result, 'CausewayInventory_CL', out.inventory.map(inventoryRow));
      if (c?.control === 'flush') await this.publish('episodes', [{ key: BROADCAST, body: FLUSH }], batch, result);
    }
    if (!valid.length) stage.process([], String(last));
    await this.delivered(batch, owned, last, result);
  }

  private async story(batch: StageBatch, owned: Owned, result: StageResult): Promise<void> {
    const stage = owned.story!;
    const observers = owned.observers!;
    const window = this.window();
    const inWindowed = (m: unknown): m is StoryMessage =>
      isKeyedFeedBeats(m) || (isKeyedEpisode(m) && episodeInWindow(m.episode, window));
    const { valid, last } = await this.unseen(batch, owned, inWindowed, result);
    let endOfInput = false;
    for (const run of runsOf(valid)) {
      const c = run.control;
      if (c?.control === 'tick') observers.tick(c.now);
      if (c?.control === 'flush') endOfInput = true;
      const out = !c
        ? stage.process(observers.take(run.messages), String(last))
        : c.control === 'tick'
          ? stage.tick(c.now)
          : stage.flush();
      mergeReports(result.report, out.report);
      result.stories.push(...out.stories);
    }
    if (!valid.length) stage.process([], String(last));
    // Deliver, then snapshot: a crash between the two replays the batch into identical rows.
    const rows = storyRows(result.stories);
    await this.write(result, 'CausewayStories_CL', rows.stories);
    await this.write(result, 'CausewayEvidence_CL', rows.evidence);
    const observed = observers.rows(this.deps.host, endOfInput);
    await this.write(result, 'CausewayPipeline_CL', observed.pipeline);
    await this.write(result, 'CausewayProfiles_CL', observed.profiles);
    await this.delivered(batch, owned, last, result);
  }

  /** The batch is folded in and its outputs handed over: rows made durable when due, then the snapshot. */
  private async delivered(batch: StageBatch, owned: Owned, last: number, result: StageResult): Promise<void> {
    owned.lastSequence = last;
    const due = this.owner.snapshotDue(owned);
    if (due || this.deps.flushRowsEachBatch !== false) await this.flushRows(result);
    if (due) await this.owner.save(batch.stage as 'workload' | 'story', batch.partition, owned);
  }

  /**
   * Messages above the snapshot's offset (a replayed batch starts at or below it), parsed; one that
   * is not JSON or not the stage's contract becomes a dead letter.
   */
  private async unseen<T>(
    batch: StageBatch,
    owned: Owned,
    isData: (m: unknown) => m is T,
    result: StageResult,
  ): Promise<{ valid: (T | ControlMessage)[]; last: number }> {
    const valid: (T | ControlMessage)[] = [];
    const book = this.book(batch);
    let last = owned.lastSequence;
    for (const m of batch.messages) {
      const sequence = m.sequence ?? last + 1;
      if (sequence <= owned.lastSequence) continue;
      last = Math.max(last, sequence);
      const parsed = parseMessage(m.body);
      if (parsed.ok && (isData(parsed.value) || isControl(parsed.value))) {
        valid.push(parsed.value as T | ControlMessage);
        continue;
      }
      const contract =
        batch.stage === 'workload'
          ? 'a keyed event ({key, event}) with every time in the accepted range'
          : 'a keyed episode ({key, episode}) with every time in the accepted range';
      const bytes = () => Buffer.from(bodyOf(m.body));
      book.add({
        reasonCode: 'malformed-message',
        reason: parsed.ok ? `not ${contract}, nor a control message` : `not JSON (${parsed.error})`,
        sourceFormat: 'causeway',
        payload: bytes,
        sizeBytes: bytes().length,
        position: sequence,
      });
    }
    count(result.report, 'rejected', 'malformed-message', book.records);
    await this.write(
      result,
      'CausewayPipeline_CL',
      book.letters().map((d) => deadLetterRow(d, this.deps.host)),
    );
    return { valid, last };
  }

  /** Publishes; a message the transport can never carry is dead-lettered with its size and the limit. */
  private async publish(
    hub: InternalHub,
    messages: KeyedMessage[],
    batch?: StageBatch,
    result?: StageResult,
  ): Promise<void> {
    if (!messages.length) return;
    const { tooLarge } = await this.deps.publisher.publish(hub, messages);
    if (!tooLarge.length) return;
    const book = this.book(batch);
    for (const { message, sizeBytes, limitBytes } of tooLarge)
      book.add({
        reasonCode: 'too-large',
        reason: `a ${hub} message of ${sizeBytes} bytes is over the transport's limit of ${limitBytes} bytes`,
        sourceFormat: 'causeway',
        payload: () => Buffer.from(bodyOf(message.body)),
        sizeBytes,
      });
    const report = result?.report ?? emptyReport();
    count(report, 'rejected', 'too-large', tooLarge.length);
    await this.write(
      result,
      'CausewayPipeline_CL',
      book.letters().map((d) => deadLetterRow(d, this.deps.host)),
    );
  }

  /** One dead letter per reason for this batch (a batch of a million bad messages is one row). */
  private book(batch: StageBatch | undefined): DeadLetterBook {
    return new DeadLetterBook({
      time: this.deps.clock(),
      stage: batch?.stage ?? 'ingest',
      input: batch?.source ?? '-',
      partition: batch?.partition,
    });
  }

  /** The sane range of event times now: what stage ① lets in, and all a stage may hold. */
  private window(): TimeWindow {
    return timeWindow(this.deps.clock(), this.deps.config.limits);
  }

  private async write(result: StageResult | undefined, table: TableName, rows: Row[]): Promise<void> {
    if (!rows.length) return;
    const report = await this.deps.sink.write(table, rows);
    mergeReports(this.totals, report);
    if (result) mergeReports(result.rows, report);
  }

  /**
   * Retryable failures propagate (the host replays the batch). A permanent failure, or a fault in
   * the stage itself, is counted for the batch's messages and logged, not thrown: the host's retry
   * would only fail the same way. Either way the partition's in-memory stage is dropped: it may
   * have folded part of the batch in, so the next batch starts again from the last snapshot.
   */
  private async guard(
    batch: StageBatch,
    result: StageResult,
    owned: Owned | undefined,
    work: () => Promise<void>,
  ): Promise<void> {
    if (owned) owned.busy = true;
    try {
      await work();
    } catch (e) {
      if (owned) this.owner.forget(batch.stage as 'workload' | 'story', batch.partition);
      const error = e instanceof Error ? e : new Error(String(e));
      // A message may quote what it failed on: redacted and on one line in the log and in /healthz.
      const message = oneLine(redactText(error.message).text, 400);
      this.lastError = `${batch.stage}/${batch.partition}: ${message}`;
      const retriable = isRetryableError(e);
      this.deps.logger.event('error', 'stage.batch-failed', {
        stage: batch.stage,
        partition: batch.partition,
        error: message,
        retriable,
        ...(retriable || isPermanentError(e) ? {} : { stack: error.stack }),
      });
      if (retriable) throw e;
      const reason: ReasonCode =
        isPermanentError(e) && e.code !== 'config' && e.code !== 'internal' ? e.code : 'stage-failed';
      count(result.report, 'errored', reason, Math.max(1, batch.messages.length));
    } finally {
      if (owned) owned.busy = false;
    }
  }
}
