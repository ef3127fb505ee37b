/**
 * Dead letters: the metadata of rejected records, never their (possibly secret-bearing) payload.
 * Rejections are aggregated: one dead letter per reason and source format per body or batch, with
 * the number of records, their total size and the hashes of the first few, so a body of a million
 * bad lines is one row, not a million paid ones.
 */
import { oneLine } from '../common/displayText.ts';
import { sha256 } from '../common/hash.ts';
import type { ReasonCode } from '../common/status.ts';
import { redactText } from '../transforms/redact.ts';

export interface DeadLetter {
  time: number;
  stage: 'ingest' | 'workload' | 'story' | 'sink';
  reasonCode: ReasonCode;
  /** The first record's reason: fields and shapes, never values; redacted, one line, bounded. */
  reason: string;
  sourceFormat: string;
  input: string;
  /** Bytes of every record in the group. */
  sizeBytes: number;
  /** SHA-256 of the first record. */
  payloadSha256: string;
  /** Records in the group (1 for a lone rejection). */
  count?: number;
  /** SHA-256 of the first few records (the first one included). */
  sampleSha256?: string[];
  /** Lines or element numbers of the first few records. */
  positions?: number[];
  partition?: string;
  offset?: string;
}

/** Longest reason written: enough for the field, the shape and the fix. */
const MAX_REASON = 400;

/**
 * A reason as it is written: reasons name fields and shapes, never values, and this is the
 * second line of defence for anything quoted anyway: redacted, one line, bounded.
 */
export function safeReason(reason: string): string {
  return oneLine(redactText(reason).text, MAX_REASON);
}

/** How many records of a group are hashed and located. */
export const DEAD_LETTER_SAMPLES = 3;
const POSITIONS = 10;

/** Where the rejected records came from: the same for every record of a body or batch. */
export interface DeadLetterOrigin {
  time: number;
  stage: DeadLetter['stage'];
  input: string;
  partition?: string;
  offset?: string;
}

/** One rejected record (or, with `count`, many records rejected together). */
export interface Rejection {
  reasonCode: ReasonCode;
  reason: string;
  sourceFormat: string;
  /** The record's bytes or text, hashed only for the first few of a group; never kept. */
  payload: () => string | Buffer;
  sizeBytes: number;
  position?: number;
  count?: number;
}

/** Collects rejections of one body or batch into one dead letter per reason and source format. */
export class DeadLetterBook {
  private readonly groups = new Map<string, DeadLetter>();

  constructor(private readonly origin: DeadLetterOrigin) {}

  add(r: Rejection): void {
    const key = `${r.reasonCode}\u0000${r.sourceFormat}`;
    const n = r.count ?? 1;
    const group = this.groups.get(key);
    if (!group) {
      const hash = sha256(r.payload());
      this.groups.set(key, {
        ...this.origin,
        reasonCode: r.reasonCode,
        reason: safeReason(r.reason),
        sourceFormat: r.sourceFormat,
        sizeBytes: r.sizeBytes,
        payloadSha256: hash,
        count: n,
        sampleSha256: [hash],
        positions: r.position !== undefined ? [r.position] : [],
      });
      return;
    }
    group.count = (group.count ?? 1) + n;
    group.sizeBytes += r.sizeBytes;
    if (group.sampleSha256!.length < DEAD_LETTER_SAMPLES) group.sampleSha256!.push(sha256(r.payload()));
    if (r.position !== undefined && group.positions!.length < POSITIONS) group.positions!.push(r.position);
  }

  /** Records rejected so far. */
  get records(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.count ?? 1;
    return n;
  }

  letters(): DeadLetter[] {
    return [...this.groups.values()];
  }
}
