/**
 * The Azure Functions host (DESIGN §2, host 1) as plain functions: the registrations in
 * functions/ are one line each and call these. Per partition: restore the snapshot on first use or
 * when ownership moved, skip events at or below its offset, process in order, deliver (publish to
 * the next hub, write rows), then snapshot. Throw only for retryable failures: the Event Hubs
 * trigger checkpoints even when a function throws, so a retry policy must replay the batch.
 */
import type { CausewayConfig } from '../../config/config.ts';
import { isRetryableError } from '../../errors.ts';
import type { KeyedEpisode, KeyedEvent } from '../../model/episode.ts';
import type { Story } from '../../model/story.ts';
import { ingest, type IngestInput } from '../../pipeline/ingest.ts';
import { count, emptyReport, mergeReports, type BatchReport } from '../../pipeline/report.ts';
import { deadLetterRow, evidenceRow, healthRow, storyRow, upstreamHealthRow } from '../../sinks/rows.ts';
import type { Sink } from '../../sinks/sink.ts';
import type { SignalEngine } from '../../signals/engine.ts';
import type { SourceName } from '../../sources/registry.ts';
import { StoryStage, type StorySnapshot } from '../../story/storyStage.ts';
import type { Logger } from '../../telemetry/log.ts';
import { WorkloadStage } from '../../workload/workloadStage.ts';
import type { WorkloadSnapshot } from '../../workload/snapshot.ts';
import { BROADCAST } from '../../model/episode.ts';
import type { Publisher } from '../publisher.ts';
import type { StateStore } from '../stateStore.ts';

/** The Event Hubs extension's trigger metadata for a batch (keys camel-cased by the Node worker). */
export interface EventHubBatchMetadata {
  partitionContext?: { partitionId?: string; eventHubName?: string; consumerGroup?: string; fullyQualifiedNamespace?: string };
  sequenceNumberArray?: number[];
  offsetArray?: string[];
  enqueuedTimeUtcArray?: string[];
  partitionKeyArray?: (string | null)[];
}

export interface FunctionsDeps {
  config: CausewayConfig;
  signals: SignalEngine;
  sink: Sink;
  publisher: Publisher;
  state: StateStore;
  logger: Logger;
  clock: () => number;
  host: string;
}

/** A control message the timer broadcasts on `episodes` so every story partition closes idle stories. */
export interface TickMessage {
  control: 'tick';
  now: number;
}

interface Owned<S> {
  stage: S;
  lastSequence: number;
}

export class FunctionsRuntime {
  private readonly workloads = new Map<string, Owned<WorkloadStage>>();
  private readonly stories = new Map<string, Owned<StoryStage>>();
  lastError: string | undefined;
  readonly totals = emptyReport();

  constructor(readonly deps: FunctionsDeps) {}

  /** Stage ① for one input hub: decode → route → publish; dead letters and health rows to the sink. */
  async ingest(messages: unknown[], meta: EventHubBatchMetadata, hub: string, accept?: SourceName[]): Promise<BatchReport> {
    const partition = meta.partitionContext?.partitionId;
    const inputs: IngestInput[] = messages.map((m, i) => ({ body: bodyOf(m), input: hub, accept, partition, offset: String(meta.sequenceNumberArray?.[i] ?? '') }));
    const d = this.deps;
    const out = ingest(inputs, { decode: { cluster: d.config.cluster, redaction: d.config.redaction }, limits: d.config.limits, signals: d.signals, now: d.clock });
    return this.guard(async () => {
      await d.publisher.publish('workload-events', out.workloadEvents.map((k) => ({ key: k.key, body: k })));
      await d.publisher.publish('episodes', out.episodes.map((k) => ({ key: k.key, body: k })));
      await this.write('CausewayPipeline_CL', [...out.deadLetters.map((x) => deadLetterRow(x, d.host)), ...out.health.map((h) => upstreamHealthRow(h, d.host))]);
      return out.report;
    });
  }

  /** Stage ② for one partition of `workload-events`. */
  async workload(messages: unknown[], meta: EventHubBatchMetadata): Promise<BatchReport> {
    const partition = meta.partitionContext?.partitionId ?? '0';
    const owned = await this.own(this.workloads, `workload/${partition}`, meta, () => this.newWorkloadStage(), (s, snap: WorkloadSnapshot) => s.restore(snap));
    const fresh = this.unseen(messages, meta, owned) as KeyedEvent[];
    const last = lastSequence(meta, owned);
    return this.guard(async () => {
      const out = owned.stage.process(fresh, String(last));
      await this.deps.publisher.publish('episodes', out.episodes.map((k) => ({ key: k.key, body: k })));
      await this.deps.state.save(`workload/${partition}`, owned.stage.snapshot());
      owned.lastSequence = last;
      return out.report;
    }, () => this.workloads.delete(`workload/${partition}`));
  }

  /** Stage ③ for one partition of `episodes` (episodes and timer ticks). */
  async story(messages: unknown[], meta: EventHubBatchMetadata): Promise<BatchReport> {
    const partition = meta.partitionContext?.partitionId ?? '0';
    const owned = await this.own(this.stories, `story/${partition}`, meta, () => this.newStoryStage(Number(partition)), (s, snap: StorySnapshot) => s.restore(snap));
    const fresh = this.unseen(messages, meta, owned) as (KeyedEpisode | TickMessage)[];
    const last = lastSequence(meta, owned);
    return this.guard(async () => {
      const report = emptyReport();
      const stories: Story[] = [];
      const episodes = fresh.filter((m): m is KeyedEpisode => !isTick(m));
      const out = owned.stage.process(episodes, String(last));
      mergeReports(report, out.report);
      stories.push(...out.stories);
      for (const tick of fresh.filter(isTick)) stories.push(...owned.stage.tick(tick.now).stories);
      // Deliver, then snapshot: a crash between the two replays the batch into identical rows.
      await this.write('CausewayStories_CL', stories.map(storyRow));
      await this.write('CausewayEvidence_CL', stories.flatMap((s) => s.evidence.map((e) => evidenceRow(s.storyId, e))));
      await this.deps.state.save(`story/${partition}`, owned.stage.snapshot());
      owned.lastSequence = last;
      return report;
    }, () => this.stories.delete(`story/${partition}`));
  }

  /** The timer: a tick on every partition of `episodes`, where the story state lives. */
  async closeIdleStories(): Promise<void> {
    const tick: TickMessage = { control: 'tick', now: this.deps.clock() };
    await this.guard(async () => {
      await this.deps.publisher.publish('episodes', [{ key: BROADCAST, body: tick }]);
      return emptyReport();
    });
  }

  /** Health: configuration summary, sink reachability (a health row written now), last error. */
  async health(): Promise<Record<string, unknown>> {
    const d = this.deps;
    let sinkReachable = true;
    let sinkError: string | undefined;
    try {
      await this.write('CausewayPipeline_CL', [healthRow(d.clock(), d.host, 'functions', { ...this.totals.counts }, { workloadPartitions: [...this.workloads.keys()], storyPartitions: [...this.stories.keys()] })]);
    } catch (e) {
      sinkReachable = false;
      sinkError = (e as Error).message;
    }
    return {
      status: sinkReachable && !this.lastError ? 'ok' : 'degraded',
      cluster: d.config.cluster,
      sink: { type: d.sink.name, endpoint: d.config.sink.logAnalytics.endpoint, dcr: d.config.sink.logAnalytics.dcrImmutableId, reachable: sinkReachable, error: sinkError },
      partitions: { workload: [...this.workloads.keys()], story: [...this.stories.keys()] },
      totals: this.totals,
      lastError: this.lastError,
    };
  }

  private async write(table: Parameters<Sink['write']>[0], rows: Parameters<Sink['write']>[1]): Promise<void> {
    if (!rows.length) return;
    mergeReports(this.totals, await this.deps.sink.write(table, rows));
    mergeReports(this.totals, await this.deps.sink.flush());
  }

  /**
   * Retryable failures propagate (the retry policy replays the batch); anything else is recorded,
   * not thrown. Either way the partition's in-memory stage is dropped (`forget`): it already folded
   * the batch in, so the replay must start again from the last snapshot.
   */
  private async guard(work: () => Promise<BatchReport>, forget: () => void = () => {}): Promise<BatchReport> {
    try {
      const report = await work();
      mergeReports(this.totals, report);
      return report;
    } catch (e) {
      forget();
      this.lastError = (e as Error).message;
      this.deps.logger.event('error', 'functions.batch-failed', { error: this.lastError, retriable: isRetryableError(e) });
      if (isRetryableError(e)) throw e;
      const report = emptyReport();
      count(report, 'errored', 'sink-unavailable');
      return report;
    }
  }

  /**
   * The stage for a partition: restored from the store on first use, and again when the batch
   * does not follow on from what this instance processed (ownership moved away and back).
   */
  private async own<S extends { lastOffset: string | undefined }, Snap>(map: Map<string, Owned<S>>, key: string, meta: EventHubBatchMetadata, create: () => S, restore: (s: S, snap: Snap) => void): Promise<Owned<S>> {
    const first = meta.sequenceNumberArray?.[0];
    let owned = map.get(key);
    const continues = owned && (first === undefined || first <= owned.lastSequence + 1);
    if (!owned || !continues) {
      const stage = create();
      const snap = await this.deps.state.load<Snap>(key);
      if (snap) restore(stage, snap);
      owned = { stage, lastSequence: stage.lastOffset !== undefined ? Number(stage.lastOffset) : -1 };
      map.set(key, owned);
    }
    return owned;
  }

  /** Messages above the snapshot's offset (a replayed batch starts at or below it). */
  private unseen(messages: unknown[], meta: EventHubBatchMetadata, owned: Owned<unknown>): unknown[] {
    const seqs = meta.sequenceNumberArray;
    return messages.map(parseMessage).filter((_, i) => seqs?.[i] === undefined || seqs[i]! > owned.lastSequence);
  }

  private newWorkloadStage(): WorkloadStage {
    const c = this.deps.config.correlation;
    return new WorkloadStage({
      signals: this.deps.signals,
      allowedLatenessMs: c.allowedLatenessMinutes * 60_000,
      learningPeriodMs: this.deps.config.signals.learningPeriodMinutes * 60_000,
      parkingTimeoutMs: c.parkingTimeoutSeconds * 1000,
      maxParked: c.maxParked,
      maxWorkloads: c.maxWorkloadsPerPartition,
      limits: { maxProcesses: c.maxProcessesPerWorkload, maxBuffered: c.maxBufferedEventsPerContainer, maxEvidence: c.maxEvidencePerEpisode, maxEpisodes: 512, maxSeen: 2048 },
    });
  }

  private newStoryStage(partition: number): StoryStage {
    const c = this.deps.config.correlation;
    return new StoryStage({ signals: this.deps.signals, allowedLatenessMs: c.allowedLatenessMinutes * 60_000, storyIdleMs: c.storyIdleMinutes * 60_000, maxEpisodes: c.maxEpisodesPerPartition, maxStories: c.maxStoriesPerPartition, partition, partitions: c.storyPartitions });
  }
}

function lastSequence(meta: EventHubBatchMetadata, owned: Owned<unknown>): number {
  const seqs = meta.sequenceNumberArray;
  return seqs?.length ? Math.max(owned.lastSequence, ...seqs) : owned.lastSequence;
}

function isTick(m: unknown): m is TickMessage {
  return typeof m === 'object' && m !== null && (m as TickMessage).control === 'tick';
}

/** With dataType binary the host hands over bytes; otherwise strings or already-parsed JSON. */
function bodyOf(m: unknown): Buffer | string {
  if (Buffer.isBuffer(m)) return m;
  if (m instanceof Uint8Array) return Buffer.from(m);
  if (typeof m === 'string') return m;
  return JSON.stringify(m);
}

function parseMessage(m: unknown): unknown {
  if (Buffer.isBuffer(m) || m instanceof Uint8Array) return JSON.parse(Buffer.from(m).toString('utf8'));
  if (typeof m === 'string') return JSON.parse(m);
  return m;
}
