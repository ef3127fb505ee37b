/** Dead letters: the metadata of a rejected record, never its (possibly secret-bearing) payload. */
import { createHash } from 'node:crypto';
import type { ReasonCode } from '../model/status.ts';

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

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}
