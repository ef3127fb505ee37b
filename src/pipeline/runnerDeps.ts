/** What a host gives the stage runner: configuration, the stages' rules, and its transport. */
import type { Sink } from '../sinks/sink.ts';
import type { IngestDecoder } from './ingestPool.ts';
import type { Logger } from '../telemetry/log.ts';
import type { GapReader } from './gapReader.ts';
import type { Publisher } from './publisher.ts';
import type { StageSettings } from './stages.ts';
import type { StateStore } from './stateStore.ts';

export interface RunnerDeps extends StageSettings {
  sink: Sink;
  publisher: Publisher;
  state: StateStore;
  logger: Logger;
  /** Wall clock, for dead-letter and health row times and snapshot pacing (never for event time). */
  clock: () => number;
  /** Names this process in health and dead-letter rows: `functions`, `kafka/<host>/<pid>`, `local`. */
  host: string;
  /**
   * Snapshot a partition after a batch at most this often. 0: after every batch (the Functions
   * trigger checkpoints every batch). Kafka commits only up to the last snapshot, so a new owner
   * replays the rest; the local host snapshots on its timer and at a clean stop (Infinity here).
   */
  snapshotEveryMs?: number;
  /**
   * Make rows durable (sink flush) at the end of every batch: needed where the transport
   * checkpoints each batch. The local host and replay flush on their timer and at the end instead.
   */
  flushRowsEachBatch?: boolean;
  /**
   * Reads back what came between a restored snapshot and the first batch after it, where the
   * transport checkpoints past snapshots (Functions); absent where it never does (Kafka commits
   * only what a snapshot covers, the local host owns its whole log).
   */
  gaps?: GapReader;
  /** The longest gap read back; a longer one is counted as `state-gap` and skipped. */
  maxReplayEvents?: number;
  /** Stage ①'s decoding in a worker pool (local and Kafka hosts); inline on this thread when absent. */
  ingestDecoder?: IngestDecoder;
}
