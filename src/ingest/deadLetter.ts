/** Dead letters: the metadata of a rejected record, never its (possibly secret-bearing) payload. */
import type { ReasonCode } from '../common/status.ts';

export interface DeadLetter {
  time: number;
  stage: 'ingest' | 'workload' | 'story' | 'sink';
  reasonCode: ReasonCode;
  reason: string;
  sourceFormat: string;
  input: string;
  sizeBytes: number;
  payloadSha256: string;
  partition?: string;
  offset?: string;
}
