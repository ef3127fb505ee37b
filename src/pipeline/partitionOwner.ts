/**
 * The stage instances this process owns, one per partition: restored from the state store on
 * first use, and again when a batch does not follow on from what this instance processed
 * (ownership moved away and back); snapshotted when due, tagged with the offset they cover.
 */
import { timeWindow } from '../common/timeWindow.ts';
import { sanitiseStorySnapshot } from '../story/snapshotCheck.ts';
import type { StorySnapshot, StoryStage } from '../story/storyStage.ts';
import { sanitiseWorkloadSnapshot, type WorkloadSnapshot } from '../workload/snapshot.ts';
import type { FeedStatus } from '../model/feedBeat.ts';
import type { WorkloadStage } from '../workload/workloadStage.ts';
import { FlushGathering } from './control.ts';
import type { RunnerDeps } from './runnerDeps.ts';
import { StoryObservers, type StoryObserversSnapshot } from './storyObservers.ts';

type StatefulStage = 'workload' | 'story';

export interface Owned {
  workload?: WorkloadStage;
  story?: StoryStage;
  /** Story partitions: the feed tracker and cloud usage profiles kept beside the stage. */
  observers?: StoryObservers;
  /** The highest offset folded into the in-memory stage. */
  lastSequence: number;
  /** The offset the saved snapshot covers (what a consumer may commit), and when it was saved. */
  savedSequence: number;
  savedAt: number;
  /** A batch is being processed: its state and lastSequence may disagree until it is delivered. */
  busy: boolean;
  /** End-of-input markers gathered so far (workload partitions). */
  flushes: FlushGathering;
  /** Values of the restored snapshot no stage could have produced, dropped; counted by the next batch. */
  invalidState: number;
}

/** What is saved per partition: the stage's snapshot, the markers still being gathered, a story partition's observers. */
type Saved = Record<string, unknown> & {
  pendingFlushes?: [string, string[]][];
  observers?: StoryObserversSnapshot;
};

export interface PartitionStats {
  partition: string;
  lastSequence: number;
  savedSequence: number;
  [stat: string]: unknown;
}

export class PartitionOwner {
  private readonly owned = { workload: new Map<string, Owned>(), story: new Map<string, Owned>() };

  constructor(
    private readonly deps: RunnerDeps,
    private readonly create: { workload: () => WorkloadStage; story: (partition: string) => StoryStage },
  ) {}

  async own(stage: StatefulStage, partition: string, firstSequence: number | undefined): Promise<Owned> {
    const existing = this.owned[stage].get(partition);
    if (existing && (firstSequence === undefined || firstSequence <= existing.lastSequence + 1)) return existing;
    let snap: Saved | undefined;
    let unreadable = false;
    try {
      snap = await this.deps.state.load<Saved>(`${stage}/${partition}`);
    } catch (e) {
      // A snapshot torn or altered at rest is not JSON: dropped like an unrestorable one (below).
      // Anything else (the store unreachable) is retryable and goes to the host.
      if (!(e instanceof SyntaxError)) throw e;
      unreadable = true;
    }
    const owned: Owned = {
      lastSequence: -1,
      savedSequence: -1,
      savedAt: this.deps.clock(),
      busy: false,
      flushes: new FlushGathering(Array.isArray(snap?.pendingFlushes) ? snap.pendingFlushes : undefined),
      invalidState: unreadable ? 1 : 0,
    };
    const fresh = () =>
      stage === 'workload' ? (owned.workload = this.create.workload()) : (owned.story = this.create.story(partition));
    // A snapshot (or its observers' part) that cannot be restored at all would fail every batch of
    // its partition after every restart: it is dropped whole (counted, logged) and starts afresh.
    const dropped = (part: string, e: unknown) => {
      owned.invalidState++;
      this.deps.logger.event('error', 'state.restore-failed', {
        stage: part,
        partition,
        error: e instanceof Error ? e.message : String(e),
      });
    };
    let instance = fresh();
    if (snap) {
      try {
        const window = timeWindow(this.deps.clock(), this.deps.config.limits);
        owned.invalidState =
          stage === 'workload'
            ? sanitiseWorkloadSnapshot(snap as unknown as WorkloadSnapshot, window)
            : sanitiseStorySnapshot(snap as unknown as StorySnapshot, window);
        (instance.restore as (s: unknown) => void)(snap);
      } catch (e) {
        dropped(stage, e);
        instance = fresh();
      }
    }
    if (stage === 'story') {
      owned.observers = new StoryObservers(this.deps.config, Number(partition));
      try {
        if (snap?.observers) owned.observers.restore(snap.observers);
      } catch (e) {
        dropped('observers', e);
        owned.observers = new StoryObservers(this.deps.config, Number(partition));
      }
    }
    const restoredTo = instance.lastOffset !== undefined ? Number(instance.lastOffset) : -1;
    owned.lastSequence = owned.savedSequence = Number.isFinite(restoredTo) ? restoredTo : -1;
    this.owned[stage].set(partition, owned);
    return owned;
  }

  /** Drops a partition's in-memory stage (after a failed batch): the next batch restores it. */
  forget(stage: StatefulStage, partition: string): void {
    this.owned[stage].delete(partition);
  }

  snapshotDue(owned: Owned): boolean {
    const every = this.deps.snapshotEveryMs ?? 0;
    // Where gaps are read back, a partition's first snapshot comes at once: the gap starts there.
    if (this.deps.gaps && owned.savedSequence < 0) return true;
    return every <= 0 || (Number.isFinite(every) && this.deps.clock() - owned.savedAt >= every);
  }

  /** Saves one partition now: the snapshot and the offset it covers are taken in one synchronous step. */
  async save(stage: StatefulStage, partition: string, owned: Owned): Promise<void> {
    const covers = owned.lastSequence;
    const snapshot = (owned.workload ?? owned.story)!.snapshot() as unknown as Saved;
    const body: Saved = owned.flushes.size ? { ...snapshot, pendingFlushes: owned.flushes.toJSON() } : snapshot;
    if (owned.observers) body.observers = owned.observers.snapshot();
    owned.savedAt = this.deps.clock();
    await this.deps.state.save(`${stage}/${partition}`, body);
    owned.savedSequence = Math.max(owned.savedSequence, covers);
  }

  /** Saves every partition with progress past its snapshot and no batch in flight. */
  async saveAll(): Promise<void> {
    for (const stage of ['workload', 'story'] as const)
      for (const [partition, owned] of this.owned[stage])
        if (!owned.busy && owned.savedSequence < owned.lastSequence) await this.save(stage, partition, owned);
  }

  /** The offset a consumer may commit for a partition: the one its saved snapshot covers. */
  committable(stage: StatefulStage, partition: string): number | undefined {
    const owned = this.owned[stage].get(partition);
    return owned && owned.savedSequence >= 0 ? owned.savedSequence : undefined;
  }

  /**
   * Partitions this instance no longer owns (a rebalance moved them): their in-memory stages go.
   * Their state is already in the store, saved after the last batch this instance delivered.
   */
  release(stage: StatefulStage, keep: readonly string[]): void {
    for (const partition of [...this.owned[stage].keys()])
      if (!keep.includes(partition)) this.owned[stage].delete(partition);
  }

  /** Partitions with a stage in memory. */
  partitions(stage: StatefulStage): string[] {
    return [...this.owned[stage].keys()];
  }

  /** Feed status from the story partitions this process holds. */
  feedStatus(): FeedStatus[] {
    return [...this.owned.story.values()].flatMap((o) => o.observers?.status() ?? []);
  }

  /**
   * Feed status of every story partition up to `partitions`: those held here, the others from their
   * saved snapshots (the Functions health probe runs on any instance, not on the partitions' owners).
   */
  async allFeedStatus(partitions: number): Promise<FeedStatus[]> {
    const out = this.feedStatus();
    for (let p = 0; p < partitions; p++) {
      if (this.owned.story.has(String(p))) continue;
      const snap = await this.deps.state.load<Saved>(`story/${p}`);
      if (!snap?.observers) continue;
      const observers = new StoryObservers(this.deps.config, p);
      observers.restore(snap.observers);
      out.push(...observers.status());
    }
    return out;
  }

  /** Per partition: offsets and the stage's own counters (state sizes, evictions). */
  stats(stage: StatefulStage): PartitionStats[] {
    return [...this.owned[stage]].map(([partition, o]) => ({
      partition,
      lastSequence: o.lastSequence,
      savedSequence: o.savedSequence,
      ...(o.workload ?? o.story)!.stats,
    }));
  }
}
