/**
 * Where a host that snapshots less often than it checkpoints gets back what came between. The
 * Functions trigger checkpoints every batch, but serialising a partition's state after every batch
 * costs more than processing it; so a partition is snapshotted every `functions.snapshotSeconds`,
 * and an instance that takes a partition over (or restarts) reads the events after the snapshot's
 * offset and before its first batch from the hub again: the hub keeps them for days, the gap is
 * seconds. Nothing is lost, only read twice (rows are idempotent by id).
 */
import type { StageMessage } from './stageRunner.ts';

export interface GapReader {
  /** The messages of one partition of an internal hub with sequence numbers `from`..`to` (inclusive), in order. */
  read(stage: 'workload' | 'story', partition: string, from: number, to: number): Promise<StageMessage[]>;
}
