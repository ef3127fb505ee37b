/**
 * Where a host that snapshots less often than it checkpoints gets back what came between. The
 * Functions trigger checkpoints every batch, but serialising a partition's state after every batch
 * costs more than processing it; so a partition is snapshotted every `functions.snapshotSeconds`,
 * and an instance that takes a partition over (or restarts) reads the events after the snapshot's
 * offset and before its first batch from the hub again: the hub keeps them for days, the gap is
 * seconds. Nothing is lost, only read twice (rows are idempotent by id).
 */
import { count, type BatchReport } from '../common/report.ts';
import type { Owned } from './partitionOwner.ts';
import type { RunnerDeps } from './runnerDeps.ts';
import type { StageBatch, StageMessage } from './stageBatch.ts';

export interface GapReader {
  /** The messages of one partition of an internal hub with sequence numbers `from`..`to` (inclusive), in order. */
  read(stage: 'workload' | 'story', partition: string, from: number, to: number): Promise<StageMessage[]>;
}

/**
 * The batch with the events between the restored snapshot and its first message in front, read
 * back from the hub (RunnerDeps.gaps); what cannot be read back is counted as `state-gap`.
 */
export async function withGap(
  deps: RunnerDeps,
  batch: StageBatch,
  owned: Owned,
  report: BatchReport,
): Promise<StageBatch> {
  const first = batch.messages[0]?.sequence;
  const gaps = deps.gaps;
  if (!gaps || first === undefined || owned.lastSequence < 0 || first <= owned.lastSequence + 1) return batch;
  const stage = batch.stage as 'workload' | 'story';
  const [from, to] = [owned.lastSequence + 1, first - 1];
  const missing = to - from + 1;
  const read = missing <= (deps.maxReplayEvents ?? Infinity) ? await gaps.read(stage, batch.partition, from, to) : [];
  const gap = read.filter((m) => m.sequence !== undefined && m.sequence >= from && m.sequence <= to);
  const fields = { stage, partition: batch.partition, from, to, read: gap.length };
  if (gap.length < missing) {
    count(report, 'dropped', 'state-gap', missing - gap.length);
    deps.logger.event('warn', 'state.gap-unread', { ...fields, unread: missing - gap.length });
  } else deps.logger.event('info', 'state.gap-read', fields);
  return { ...batch, messages: [...gap, ...batch.messages] };
}
