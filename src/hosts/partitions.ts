/**
 * The three stages over partitioned hubs or topics, for the hosts that run them distributed: Azure
 * Functions (Event Hubs triggers) and Kafka consumer groups (DESIGN §2, hosts 1 and 2). Per
 * partition: restore the snapshot on first use or when ownership moved, skip messages at or below
 * its offset, process in order, deliver (publish to the next hub, write rows), then snapshot; only
 * then may the host checkpoint or commit. Throw only for retryable failures (the host replays the
 * batch); a message that is not the stage's contract is dead-lettered, never blocks its partition.
 *
 * Control messages ride the same partitions, so they are ordered with the data: `tick` (the timer:
 * close idle stories) and `flush` (end of input: release parked events, write held story updates).
 * A `{"control":"flush"}` record on an input hub is forwarded to every workload partition, which
 * forwards it to every story partition after its own episodes.
 */
import type { Profile } from '../profiles/profile.ts';
import type { CausewayConfig } from '../config/config.ts';
import { isRetryableError } from '../errors.ts';
import type { KeyedEpisode, KeyedEvent } from '../model/episode.ts';
import type { Story } from '../model/story.ts';
import { ingest, type IngestInput } from '../ingest/ingest.ts';
import { count, emptyReport, mergeReports, type BatchReport } from '../common/report.ts';
import { deadLetterRow, evidenceRow, healthRow, profileRow, storyRow, upstreamHealthRow } from '../sinks/rows.ts';
import type { Sink } from '../sinks/sink.ts';
import type { SignalEngine } from '../signals/engine.ts';
import type { SourceName } from '../sources/registry.ts';
import { StoryStage, type StorySnapshot } from '../story/storyStage.ts';
import type { Logger } from '../telemetry/log.ts';
import { WorkloadStage } from '../workload/workloadStage.ts';
import type { WorkloadSnapshot } from '../workload/snapshot.ts';
import { BROADCAST } from '../model/episode.ts';
import { sha256 } from '../common/hash.ts';
import type { DeadLetter } from '../ingest/deadLetter.ts';
import { parseErrorWithoutPayload } from '../sources/envelope.ts';
import type { Publisher } from './publisher.ts';
import type { StateStore } from './stateStore.ts';

/**
 * A batch's position: the Event Hubs extension's trigger metadata (keys camel-cased by the Node
 * worker); the Kafka host fills the same fields (partition, offsets as sequence numbers).
 */
export interface BatchMeta {
  partitionContext?: {
    partitionId?: string;
    eventHubName?: string;
    consumerGroup?: string;
    fullyQualifiedNamespace?: string;
  };
  sequenceNumberArray?: number[];
  offsetArray?: string[];
  enqueuedTimeUtcArray?: string[];
  partitionKeyArray?: (string | null)[];
}

export interface StageDeps {
  /**
   * Snapshot a partition at most this often (Kafka: offsets are committed only up to the last
   * snapshot, so a new owner replays the rest; the host calls snapshotAll() on a timer for quiet
   * partitions). 0: after every batch, as the Functions host needs (its trigger checkpoints every
   * batch).
   */
  snapshotEveryMs?: number;
  /** Imported baselines (Kubescape profiles named by profiles.import). */
  baselines?: readonly Profile[];
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

/**
 * End of input: workload partitions release parked events, story partitions write held updates.
 * A marker put on several input partitions (`causeway flush`) carries an id and how many there are
 * (`of`); a workload partition flushes once it has the marker from every one of them (`from`), so
 * no input partition still behind gets its parked events released early.
 */
export interface FlushMessage {
  control: 'flush';
  id?: string;
  of?: number;
  from?: string;
}

export const FLUSH: FlushMessage = { control: 'flush' };

type Control = TickMessage | FlushMessage;

interface Owned<S> {
  stage: S;
  lastSequence: number;
  /** The offset the saved snapshot covers (what a consumer may commit), and when it was saved. */
  savedSequence: number;
  savedAt: number;
  /** A batch is being processed: its state and lastSequence may disagree until it is delivered. */
  busy: boolean;
  /** End-of-input markers gathered so far, by marker id: the input partitions they came from. */
  flushes: Map<string, Set<string>>;
}

/** What is saved per partition: the stage's snapshot and the markers still being gathered. */
type Saved<Snap> = Snap & { pendingFlushes?: [string, string[]][] };

export class PartitionedStages {
  private readonly workloads = new Map<string, Owned<WorkloadStage>>();
  private readonly stories = new Map<string, Owned<StoryStage>>();
  lastError: string | undefined;
  readonly totals = emptyReport();

  constructor(readonly deps: StageDeps) {}

  /** Stage ① for one input hub: decode → route → publish; dead letters and health rows to the sink. */
  async ingest(messages: unknown[], meta: BatchMeta, hub: string, accept?: SourceName[]): Promise<BatchReport> {
    const partition = meta.partitionContext?.partitionId;
    const bodies = messages.map(bodyOf);
    const markers: FlushMessage[] = [];
    const inputs: IngestInput[] = [];
    bodies.forEach((body, i) => {
      const marker = flushMarker(body);
      if (marker) markers.push(marker.id ? { ...marker, from: `${hub}/${partition ?? '0'}` } : FLUSH);
      else inputs.push({ body, input: hub, accept, partition, offset: String(meta.sequenceNumberArray?.[i] ?? '') });
    });
    const d = this.deps;
    const out = ingest(inputs, {
      decode: { cluster: d.config.cluster, redaction: d.config.redaction },
      limits: d.config.limits,
      signals: d.signals,
      now: d.clock,
    });
    return this.guard(async () => {
      await d.publisher.publish(
        'workload-events',
        out.workloadEvents.map((k) => ({ key: k.key, body: k })),
      );
      await d.publisher.publish(
        'episodes',
        out.episodes.map((k) => ({ key: k.key, body: k })),
      );
      await d.publisher.publish(
        'workload-events',
        markers.map((body) => ({ key: BROADCAST, body })),
      );
      await this.write('CausewayPipeline_CL', [
        ...out.deadLetters.map((x) => deadLetterRow(x, d.host)),
        ...out.health.map((h) => upstreamHealthRow(h, d.host)),
      ]);
      return out.report;
    });
  }

  /** Stage ② for one partition of `workload-events`. */
  async workload(messages: unknown[], meta: BatchMeta): Promise<BatchReport> {
    const partition = meta.partitionContext?.partitionId ?? '0';
    const owned = await this.own(
      this.workloads,
      `workload/${partition}`,
      meta,
      () => this.newWorkloadStage(),
      (s, snap: WorkloadSnapshot) => s.restore(snap),
    );
    const { valid, deadLetters } = this.unseen(messages, meta, owned, 'workload', isKeyedEvent);
    const last = lastSequence(meta, owned);
    return this.guard(
      async () => {
        const report = emptyReport();
        // Runs of events between control messages, in partition order.
        for (const run of runs(valid)) {
          const c = run.control;
          if (c?.control === 'flush' && !gathered(owned, c)) continue;
          const out = !c
            ? owned.stage.process(run.messages, String(last))
            : c.control === 'tick'
              ? owned.stage.tick(c.now)
              : owned.stage.flush();
          mergeReports(report, out.report);
          await this.deps.publisher.publish(
            'episodes',
            out.episodes.map((k) => ({ key: k.key, body: k })),
          );
          await this.write(
            'CausewayProfiles_CL',
            out.profiles.map((r) => profileRow(r.profile, r.time, r.deviation, r.pod)),
          );
          if (c?.control === 'flush') await this.deps.publisher.publish('episodes', [{ key: BROADCAST, body: FLUSH }]);
        }
        if (!valid.length) owned.stage.process([], String(last));
        await this.deadLetter(deadLetters, report);
        owned.lastSequence = last;
        await this.persist(`workload/${partition}`, owned, false);
        return report;
      },
      () => this.workloads.delete(`workload/${partition}`),
      owned,
    );
  }

  /** Stage ③ for one partition of `episodes` (episodes and timer ticks). */
  async story(messages: unknown[], meta: BatchMeta): Promise<BatchReport> {
    const partition = meta.partitionContext?.partitionId ?? '0';
    const owned = await this.own(
      this.stories,
      `story/${partition}`,
      meta,
      () => this.newStoryStage(Number(partition)),
      (s, snap: StorySnapshot) => s.restore(snap),
    );
    const { valid, deadLetters } = this.unseen(messages, meta, owned, 'story', isKeyedEpisode);
    const last = lastSequence(meta, owned);
    return this.guard(
      async () => {
        const report = emptyReport();
        const stories: Story[] = [];
        for (const run of runs(valid)) {
          const out = !run.control
            ? owned.stage.process(run.messages, String(last))
            : run.control.control === 'tick'
              ? owned.stage.tick(run.control.now)
              : owned.stage.flush();
          mergeReports(report, out.report);
          stories.push(...out.stories);
        }
        if (!valid.length) owned.stage.process([], String(last));
        await this.deadLetter(deadLetters, report);
        // Deliver, then snapshot: a crash between the two replays the batch into identical rows.
        await this.write('CausewayStories_CL', stories.map(storyRow));
        await this.write(
          'CausewayEvidence_CL',
          stories.flatMap((s) => s.evidence.map((e) => evidenceRow(s.storyId, e))),
        );
        owned.lastSequence = last;
        await this.persist(`story/${partition}`, owned, false);
        return report;
      },
      () => this.stories.delete(`story/${partition}`),
      owned,
    );
  }

  /**
   * The timer: a tick on every partition of both internal hubs. Workload partitions release what
   * waited past the parking timeout in a workload gone quiet; story partitions close idle stories.
   */
  async closeIdleStories(): Promise<void> {
    const tick: TickMessage = { control: 'tick', now: this.deps.clock() };
    await this.guard(async () => {
      await this.deps.publisher.publish('workload-events', [{ key: BROADCAST, body: tick }]);
      await this.deps.publisher.publish('episodes', [{ key: BROADCAST, body: tick }]);
      return emptyReport();
    });
  }

  /**
   * Partitions this instance no longer owns (a rebalance moved them): their in-memory stages go.
   * Their state is already in the store, saved after the last batch this instance delivered.
   */
  release(owned: { workload?: readonly string[]; story?: readonly string[] }): void {
    for (const [map, keep, prefix] of [
      [this.workloads, owned.workload, 'workload/'],
      [this.stories, owned.story, 'story/'],
    ] as const) {
      if (!keep) continue;
      for (const key of [...map.keys()]) if (!keep.includes(key.slice(prefix.length))) map.delete(key);
    }
  }

  /** The offset a consumer may commit for a partition: the one its saved snapshot covers. */
  committable(stage: 'workload' | 'story', partition: string): number | undefined {
    const owned = (stage === 'workload' ? this.workloads : this.stories).get(`${stage}/${partition}`);
    return owned && owned.savedSequence >= 0 ? owned.savedSequence : undefined;
  }

  /** Saves every partition with progress past its snapshot (a clean stop). */
  async snapshotAll(): Promise<void> {
    for (const map of [this.workloads, this.stories] as Map<string, Owned<{ snapshot(): unknown }>>[]) {
      for (const [key, owned] of map)
        if (!owned.busy && owned.savedSequence < owned.lastSequence) await this.persist(key, owned, true);
    }
  }

  /** Partitions with a stage in memory, by stage. */
  partitions(): { workload: string[]; story: string[] } {
    return {
      workload: [...this.workloads.keys()].map((k) => k.slice('workload/'.length)),
      story: [...this.stories.keys()].map((k) => k.slice('story/'.length)),
    };
  }

  /** Health: configuration summary, sink reachability (a health row written now), last error. */
  async health(): Promise<Record<string, unknown>> {
    const d = this.deps;
    let sinkReachable = true;
    let sinkError: string | undefined;
    try {
      await this.write('CausewayPipeline_CL', [
        healthRow(
          d.clock(),
          d.host,
          'functions',
          { ...this.totals.counts },
          { workloadPartitions: [...this.workloads.keys()], storyPartitions: [...this.stories.keys()] },
        ),
      ]);
    } catch (e) {
      sinkReachable = false;
      sinkError = (e as Error).message;
    }
    return {
      status: sinkReachable && !this.lastError ? 'ok' : 'degraded',
      cluster: d.config.cluster,
      sink: {
        type: d.sink.name,
        endpoint: d.config.sink.logAnalytics.endpoint,
        dcr: d.config.sink.logAnalytics.dcrImmutableId,
        reachable: sinkReachable,
        error: sinkError,
      },
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
  private async guard(
    work: () => Promise<BatchReport>,
    forget: () => void = () => {},
    owned?: { busy: boolean },
  ): Promise<BatchReport> {
    if (owned) owned.busy = true;
    try {
      const report = await work();
      mergeReports(this.totals, report);
      return report;
    } catch (e) {
      forget();
      this.lastError = (e as Error).message;
      this.deps.logger.event('error', 'stages.batch-failed', { error: this.lastError, retriable: isRetryableError(e) });
      if (isRetryableError(e)) throw e;
      const report = emptyReport();
      count(report, 'errored', 'sink-unavailable');
      return report;
    } finally {
      if (owned) owned.busy = false;
    }
  }

  /**
   * The stage for a partition: restored from the store on first use, and again when the batch
   * does not follow on from what this instance processed (ownership moved away and back).
   */
  private async own<S extends { lastOffset: string | undefined; snapshot(): unknown }, Snap>(
    map: Map<string, Owned<S>>,
    key: string,
    meta: BatchMeta,
    create: () => S,
    restore: (s: S, snap: Snap) => void,
  ): Promise<Owned<S>> {
    const first = meta.sequenceNumberArray?.[0];
    let owned = map.get(key);
    const continues = owned && (first === undefined || first <= owned.lastSequence + 1);
    if (!owned || !continues) {
      const stage = create();
      const snap = await this.deps.state.load<Saved<Snap>>(key);
      if (snap) restore(stage, snap);
      const restoredTo = stage.lastOffset !== undefined ? Number(stage.lastOffset) : -1;
      owned = {
        stage,
        lastSequence: restoredTo,
        savedSequence: restoredTo,
        savedAt: this.deps.clock(),
        busy: false,
        flushes: new Map((snap?.pendingFlushes ?? []).map(([id, from]) => [id, new Set(from)])),
      };
      map.set(key, owned);
    }
    return owned;
  }

  /**
   * Messages above the snapshot's offset (a replayed batch starts at or below it), parsed; one that
   * is not JSON or not the stage's contract becomes a dead letter.
   */
  private unseen<T>(
    messages: unknown[],
    meta: BatchMeta,
    owned: Owned<unknown>,
    stage: 'workload' | 'story',
    isData: (m: unknown) => m is T,
  ): { valid: (T | Control)[]; deadLetters: DeadLetter[] } {
    const seqs = meta.sequenceNumberArray;
    const valid: (T | Control)[] = [];
    const deadLetters: DeadLetter[] = [];
    messages.forEach((raw, i) => {
      if (seqs?.[i] !== undefined && seqs[i]! <= owned.lastSequence) return;
      const parsed = parseMessage(raw);
      if (parsed.ok && (isData(parsed.value) || isControl(parsed.value))) return void valid.push(parsed.value);
      const bytes =
        Buffer.isBuffer(raw) || raw instanceof Uint8Array
          ? Buffer.from(raw)
          : Buffer.from(typeof raw === 'string' ? raw : (JSON.stringify(raw) ?? ''));
      deadLetters.push({
        time: this.deps.clock(),
        stage,
        reasonCode: 'malformed-message',
        reason: parsed.ok
          ? `not a ${stage === 'workload' ? 'keyed event ({key, event})' : 'keyed episode ({key, episode}) or control message'}`
          : `not JSON (${parsed.error})`,
        sourceFormat: 'causeway',
        input: meta.partitionContext?.eventHubName ?? (stage === 'workload' ? 'workload-events' : 'episodes'),
        sizeBytes: bytes.length,
        payloadSha256: sha256(bytes),
        partition: meta.partitionContext?.partitionId,
        offset: seqs?.[i] !== undefined ? String(seqs[i]) : undefined,
      });
    });
    return { valid, deadLetters };
  }

  /** Saves the partition's snapshot when due (every batch, or the interval passed) or forced. */
  private async persist(key: string, owned: Owned<{ snapshot(): unknown }>, force: boolean): Promise<void> {
    const every = this.deps.snapshotEveryMs ?? 0;
    const at = this.deps.clock();
    if (!force && every > 0 && at - owned.savedAt < every) return;
    // Taken now, in one synchronous step: the snapshot and the offset it covers agree.
    const covers = owned.lastSequence;
    const body = saved(owned);
    owned.savedAt = at;
    await this.deps.state.save(key, body);
    owned.savedSequence = Math.max(owned.savedSequence, covers);
  }

  private async deadLetter(deadLetters: DeadLetter[], report: BatchReport): Promise<void> {
    if (!deadLetters.length) return;
    for (const _ of deadLetters) count(report, 'rejected', 'malformed-message');
    await this.write(
      'CausewayPipeline_CL',
      deadLetters.map((x) => deadLetterRow(x, this.deps.host)),
    );
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
      limits: {
        maxProcesses: c.maxProcessesPerWorkload,
        maxBuffered: c.maxBufferedEventsPerContainer,
        maxEvidence: c.maxEvidencePerEpisode,
        maxEpisodes: 512,
        maxSeen: 2048,
      },
      baselines: this.deps.baselines,
    });
  }

  private newStoryStage(partition: number): StoryStage {
    const c = this.deps.config.correlation;
    return new StoryStage({
      signals: this.deps.signals,
      allowedLatenessMs: c.allowedLatenessMinutes * 60_000,
      storyIdleMs: c.storyIdleMinutes * 60_000,
      maxEpisodes: c.maxEpisodesPerPartition,
      maxStories: c.maxStoriesPerPartition,
      partition,
      partitions: c.storyPartitions,
    });
  }
}

function lastSequence(meta: BatchMeta, owned: Owned<unknown>): number {
  const seqs = meta.sequenceNumberArray;
  return seqs?.length ? Math.max(owned.lastSequence, ...seqs) : owned.lastSequence;
}

function saved(owned: Owned<{ snapshot(): unknown }>): unknown {
  const snapshot = owned.stage.snapshot() as Record<string, unknown>;
  return owned.flushes.size
    ? { ...snapshot, pendingFlushes: [...owned.flushes].map(([id, from]) => [id, [...from]]) }
    : snapshot;
}

/** Whether this flush completes its marker (or is a plain flush that needs no gathering). */
function gathered(owned: Owned<unknown>, c: FlushMessage): boolean {
  if (!c.id || !c.of) return true;
  const from = owned.flushes.get(c.id) ?? new Set<string>();
  from.add(c.from ?? '');
  if (from.size < c.of) {
    owned.flushes.set(c.id, from);
    return false;
  }
  owned.flushes.delete(c.id);
  return true;
}

function isControl(m: unknown): m is Control {
  if (typeof m !== 'object' || m === null) return false;
  const c = m as Partial<TickMessage>;
  return (
    (c.control === 'tick' && typeof c.now === 'number' && Number.isFinite(c.now)) || (c.control as string) === 'flush'
  );
}

function isKeyedEvent(m: unknown): m is KeyedEvent {
  const e = (m as Partial<KeyedEvent> | null)?.event;
  return (
    typeof (m as Partial<KeyedEvent>)?.key === 'string' &&
    typeof e === 'object' &&
    e !== null &&
    typeof e.time === 'number' &&
    typeof e.kind === 'string' &&
    typeof e.layer === 'string' &&
    typeof e.id === 'string'
  );
}

function isKeyedEpisode(m: unknown): m is KeyedEpisode {
  const e = (m as Partial<KeyedEpisode> | null)?.episode;
  return (
    typeof (m as Partial<KeyedEpisode>)?.key === 'string' &&
    typeof e === 'object' &&
    e !== null &&
    typeof e.id === 'string' &&
    Array.isArray(e.evidence) &&
    Array.isArray(e.signals)
  );
}

/** Splits a batch into runs of data messages and single control messages, in order. */
function runs<T>(messages: (T | Control)[]): { messages: T[]; control?: Control }[] {
  const out: { messages: T[]; control?: Control }[] = [];
  let current: T[] = [];
  for (const m of messages) {
    if (!isControl(m)) {
      current.push(m);
      continue;
    }
    if (current.length) out.push({ messages: current });
    out.push({ messages: [], control: m });
    current = [];
  }
  if (current.length) out.push({ messages: current });
  return out;
}

/** An end-of-input marker on an input hub: `{"control":"flush"}`, optionally with `id` and `of`. */
function flushMarker(body: Buffer | string): FlushMessage | undefined {
  if (body.length > 200) return undefined;
  try {
    const v = JSON.parse(body.toString()) as Partial<FlushMessage> | null;
    if (
      typeof v !== 'object' ||
      v === null ||
      v.control !== 'flush' ||
      Object.keys(v).some((k) => !['control', 'id', 'of'].includes(k))
    )
      return undefined;
    if (v.id === undefined && v.of === undefined) return FLUSH;
    return typeof v.id === 'string' && Number.isInteger(v.of) && v.of! > 0
      ? { control: 'flush', id: v.id.slice(0, 64), of: v.of }
      : undefined;
  } catch {
    return undefined;
  }
}

/** With dataType binary the host hands over bytes; otherwise strings or already-parsed JSON. */
function bodyOf(m: unknown): Buffer | string {
  if (Buffer.isBuffer(m)) return m;
  if (m instanceof Uint8Array) return Buffer.from(m);
  if (typeof m === 'string') return m;
  return JSON.stringify(m);
}

function parseMessage(m: unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    if (Buffer.isBuffer(m) || m instanceof Uint8Array)
      return { ok: true, value: JSON.parse(Buffer.from(m).toString('utf8')) };
    if (typeof m === 'string') return { ok: true, value: JSON.parse(m) };
    return { ok: true, value: m };
  } catch (e) {
    return { ok: false, error: parseErrorWithoutPayload((e as Error).message) };
  }
}
