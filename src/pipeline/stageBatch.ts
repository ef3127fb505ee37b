/**
 * The neutral shape of a batch of one partition of one stage, whatever transport delivered it,
 * what running it gives back, and what stage ①'s decoders know of the configuration.
 */
import type { BatchReport } from '../common/report.ts';
import type { CausewayConfig } from '../config/config.ts';
import type { DeadLetter } from '../ingest/deadLetter.ts';
import type { IngestOutput } from '../ingest/ingest.ts';
import type { Story } from '../model/story.ts';
import type { SourceName } from '../sources/registry.ts';
import type { DecodeContext } from '../sources/source.ts';
import type { FlushMessage } from './control.ts';

export type StageName = 'ingest' | 'workload' | 'story';
export const STAGES: readonly StageName[] = ['ingest', 'workload', 'story'];

/** One message of a batch: its body (bytes, text or parsed JSON) and its position in the partition. */
export interface StageMessage {
  body: unknown;
  /**
   * Event Hubs sequence number or Kafka offset. Absent on the in-process bus: the runner numbers
   * on from the partition's last, so snapshots still say what they cover.
   */
  sequence?: number;
}

/** A batch of one partition of one stage, whatever transport delivered it. */
export interface StageBatch {
  stage: StageName;
  partition: string;
  /** The hub, topic, endpoint or file it came from (dead-letter rows name it). */
  source: string;
  /** Stage ① only: the products this input carries (an endpoint or hub per product); all when absent. */
  accept?: readonly SourceName[];
  messages: readonly StageMessage[];
}

export interface StageResult {
  /** Records by status and reason (stage ①) or stage outcomes (duplicates, malformed messages). */
  report: BatchReport;
  /** Rows by status, per the sink. */
  rows: BatchReport;
  /** Story versions written by this batch (stage ③). */
  stories: Story[];
  /** Stage ① rejections with their reasons (an OTLP answer names them to the sender). */
  deadLetters: DeadLetter[];
}

/** What stage ①'s decoders know of the configuration (plain data: a worker thread gets the same). */
export function ingestDecodeContext(config: CausewayConfig): DecodeContext {
  return {
    cluster: config.cluster,
    redaction: config.redaction,
    aksClusterNames: Object.fromEntries(
      Object.entries(config.cloud.clusterNames).map(([k, v]) => [k.toLowerCase().replace(/\/+$/, ''), v]),
    ),
  };
}

/** An ingest batch decoded (stage ①'s stateless half): its flush markers, and its output or the failure. */
export type DecodedBatch =
  | { markers: FlushMessage[]; output: IngestOutput; error?: undefined }
  | { markers: FlushMessage[]; output?: undefined; error: unknown };
