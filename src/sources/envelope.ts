/**
 * Envelopes: one message body (an HTTP request, a file, an Event Hubs/Kafka message) → records.
 * Accepts one JSON object, a JSON array, JSON Lines, `{"records":[…]}` (Log Analytics export,
 * Defender XDR streaming), an OTLP traces export in JSON or protobuf (split into one record per
 * span) and gzip of any of these. Never throws: every part of the body ends as a record, a
 * rejection with a reason code, or a counted drop. Work per body is bounded: records past
 * `limits.maxRecordsPerBody` are counted, not read, and JSON Lines are read a line at a time so
 * the caller can yield between slices (`unwrapInSteps`).
 */
import { inflate, inflateAsync, isGzip } from '../common/gzip.ts';
import type { ReasonCode } from '../common/status.ts';
import { splitJsonLines } from './jsonLines.ts';
import { byteSize, exceedsDepth, serialise, tryParse, valueExceedsDepth } from './jsonText.ts';
import { decodeTraceRequestProtobuf, looksLikeOtlpProtobuf } from './otlp/protobuf.ts';
import { isOtlpTracesRequest, splitTraces } from './otlp/splitTraces.ts';

export { exceedsDepth, parseErrorWithoutPayload, byteSize } from './jsonText.ts';

export interface RawRecord {
  value: Record<string, unknown>;
  /** Bytes of this record's JSON text (approximate for array elements). */
  size: number;
  /** 1-based line (JSON Lines) or element index, for messages. */
  position: number;
}

export interface EnvelopeRejection {
  reason: ReasonCode;
  detail: string;
  /** The offending text (kept only to hash it; never written anywhere). */
  text: string;
  position: number;
  /** Records this rejection stands for (the unread rest of a body past its record limit); 1 when absent. */
  count?: number;
}

/** A part of a body that holds no record (an empty array or export): counted as dropped. */
export interface EnvelopeDrop {
  reason: ReasonCode;
  detail: string;
  position: number;
}

export interface EnvelopeLimits {
  /** Largest record: one event, alert, log line or span (an envelope of many is split first). */
  maxRecordBytes: number;
  maxDepth: number;
  /**
   * Largest message body (an HTTP body, a Kafka or Event Hubs message, a file) after gzip is
   * inflated (zip-bomb guard); 64 MiB, the OTLP/HTTP default request limit, when absent.
   */
  maxMessageBytes?: number;
  /** Records read from one body; the rest are counted as rejected, not read. Unlimited when absent. */
  maxRecordsPerBody?: number;
}

/** The message limit when none is configured: OTLP/HTTP servers default to 64 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Records read from one body: past the limit, what is left is counted, not parsed. */
export class RecordBudget {
  private left: number;
  /** Records past the limit. */
  over = 0;

  constructor(limit = Infinity) {
    this.left = limit;
  }

  /** One more record may be read; false (and counted) past the limit. */
  take(): boolean {
    if (this.left > 0) {
      this.left--;
      return true;
    }
    this.over++;
    return false;
  }

  get exhausted(): boolean {
    return this.left <= 0;
  }
}

export interface Unwrapped {
  records: RawRecord[];
  rejections: EnvelopeRejection[];
  drops: EnvelopeDrop[];
  budget: RecordBudget;
}

export function emptyUnwrapped(limits: EnvelopeLimits): Unwrapped {
  return { records: [], rejections: [], drops: [], budget: new RecordBudget(limits.maxRecordsPerBody) };
}

/** The whole body at once (tests, small bodies). */
export function unwrap(body: Buffer | string, limits: EnvelopeLimits): Unwrapped {
  const out = emptyUnwrapped(limits);
  for (const _ of unwrapInSteps(body, limits, out));
  return out;
}

/**
 * Unwraps a body into `out`, yielding after every few records so a caller can take them, clear
 * the arrays and let the event loop run. Documents (one JSON value) are parsed whole; JSON Lines a
 * line at a time.
 */
export function* unwrapInSteps(
  body: Buffer | string,
  limits: EnvelopeLimits,
  out: Unwrapped,
  inflated?: Inflated,
): Generator<void> {
  yield* unwrapBody(body, limits, out, inflated);
  if (out.budget.over > 0)
    out.rejections.push({
      reason: 'too-many-records',
      detail: `the body holds more than ${limits.maxRecordsPerBody} records (limits.maxRecordsPerBody); the rest were counted, not read: send smaller batches or raise the limit`,
      text: '',
      position: limits.maxRecordsPerBody ?? 0,
      count: out.budget.over,
    });
}

/** A gzip body inflated within the limit, or why it could not be (the reason becomes a rejection). */
export type Inflated = { bytes: Buffer } | { error: 'too-large' | 'malformed' };

/** Inflates a gzip body on the event loop (small bodies, tests); `inflateBodyAsync` off it. */
export function inflateBody(body: Buffer, limits: EnvelopeLimits): Inflated {
  try {
    return { bytes: inflate(body, limits.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES) };
  } catch (e) {
    return inflateError(e);
  }
}

/** Inflates a gzip body in zlib's thread pool: a body that inflates to tens of MB blocks nothing. */
export async function inflateBodyAsync(body: Buffer, limits: EnvelopeLimits): Promise<Inflated> {
  try {
    return { bytes: await inflateAsync(body, limits.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES) };
  } catch (e) {
    return inflateError(e);
  }
}

function inflateError(e: unknown): Inflated {
  return { error: (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 'too-large' : 'malformed' };
}

function* unwrapBody(
  body: Buffer | string,
  limits: EnvelopeLimits,
  out: Unwrapped,
  inflated?: Inflated,
): Generator<void> {
  const maxBody = limits.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const tooLarge = (what: string, text: string) =>
    out.rejections.push({
      reason: 'too-large',
      detail: `${what} larger than ${maxBody} bytes (limits.maxMessageBytes); send smaller batches or raise the limit`,
      text,
      position: 1,
    });
  let text: string;
  if (typeof body === 'string') {
    if (body.length > maxBody && Buffer.byteLength(body) > maxBody) return void tooLarge('the body is', body);
    text = body;
  } else {
    let bytes = body;
    if (isGzip(bytes)) {
      const result = inflated ?? inflateBody(bytes, limits);
      if ('error' in result) {
        if (result.error === 'too-large') return void tooLarge('the gzip body inflates to', body.toString('latin1'));
        out.rejections.push({
          reason: 'malformed-gzip',
          detail: 'the gzip body could not be inflated (corrupt or truncated stream); send a complete gzip stream',
          text: body.toString('latin1'),
          position: 1,
        });
        return;
      }
      bytes = result.bytes;
    } else if (bytes.length > maxBody) return void tooLarge('the body is', bytes.toString('latin1'));
    if (looksLikeOtlpProtobuf(bytes)) {
      addOtlpProtobuf(bytes, limits, out);
      return;
    }
    text = bytes.toString('utf8');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const trimmed = text.trim();
  if (trimmed === '') {
    out.rejections.push({ reason: 'empty', detail: 'the body is empty', text, position: 1 });
    return;
  }
  // A whole-body document first (pretty-printed JSON spans lines); JSON Lines when that fails, so
  // a torn first line, a stray `[` or two records glued on one line cost only themselves.
  if (trimmed[0] === '[' || trimmed[0] === '{') {
    const parsed = tryParse(trimmed);
    if (parsed.ok) {
      addDocument(parsed.value, byteSize(trimmed, limits.maxRecordBytes), trimmed, limits, out);
      return;
    }
  }
  yield* splitJsonLines(text, limits, out, (value, size, raw, line) =>
    addDocument(value, size, raw, limits, out, line),
  );
}

/** One parsed JSON value: an envelope of records, an OTLP export, or one record. */
function addDocument(
  value: unknown,
  size: number,
  text: string,
  limits: EnvelopeLimits,
  out: Unwrapped,
  line?: number,
): void {
  const position = line ?? 1;
  if (isOtlpTracesRequest(value)) {
    // A small export cannot hold a span too large or too deep; a large one has its spans measured
    // one by one, which finds the deep ones too, so its text needs no depth scan of its own.
    const deep = size <= limits.maxRecordBytes && exceedsDepth(text, limits.maxDepth);
    splitTraces(value, { bodyBytes: size, deep, position: line }, limits, out);
    return;
  }
  // One depth scan of the whole text; elements are only measured one by one when it fails.
  const deep = exceedsDepth(text, limits.maxDepth);
  const elements = Array.isArray(value) ? value : envelopeRecords(value);
  if (elements) {
    if (!elements.length) {
      out.drops.push({ reason: 'empty', detail: 'the envelope holds no records', position });
      return;
    }
    const oversized = size > limits.maxRecordBytes;
    const approx = size / elements.length;
    for (let i = 0; i < elements.length; i++) {
      if (!out.budget.take()) {
        out.budget.over += elements.length - i - 1;
        return;
      }
      addElement(elements[i], limits, out, position + i, oversized || deep, approx);
    }
    return;
  }
  if (!out.budget.take()) return;
  if (value === null || typeof value !== 'object') {
    out.rejections.push({
      reason: 'unknown-format',
      detail: `record ${position} is a JSON ${value === null ? 'null' : typeof value}, not an object`,
      text,
      position,
    });
    return;
  }
  if (size > limits.maxRecordBytes) {
    out.rejections.push({
      reason: 'too-large',
      detail: `record ${position} is ${size} bytes; the limit is ${limits.maxRecordBytes} (limits.maxRecordBytes)`,
      text,
      position,
    });
    return;
  }
  if (deep) {
    out.rejections.push({
      reason: 'too-deep',
      detail: `record ${position} nests deeper than ${limits.maxDepth} levels (limits.maxDepth)`,
      text,
      position,
    });
    return;
  }
  out.records.push({ value: value as Record<string, unknown>, size, position });
}

/**
 * `{"records":[…]}` is an envelope (Log Analytics export, Defender XDR streaming) only when it is
 * all the object holds, so a product payload that merely has a `records` field is kept whole.
 */
function envelopeRecords(value: unknown): unknown[] | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const records = (value as Record<string, unknown>).records;
  return Array.isArray(records) && Object.keys(value).length === 1 ? records : undefined;
}

function addElement(
  element: unknown,
  limits: EnvelopeLimits,
  out: Unwrapped,
  position: number,
  measure: boolean,
  approxSize: number,
): void {
  // Depth first, with a walk that stops at the limit: serialising a value nested thousands of
  // levels deep would overflow the stack.
  const tooDeep = measure && valueExceedsDepth(element, limits.maxDepth);
  if (element === null || typeof element !== 'object' || Array.isArray(element)) {
    out.rejections.push({
      reason: tooDeep ? 'too-deep' : 'unknown-format',
      detail: tooDeep
        ? `element ${position} nests deeper than ${limits.maxDepth} levels (limits.maxDepth)`
        : `element ${position} is not a JSON object`,
      text: tooDeep ? '' : serialise(element),
      position,
    });
    return;
  }
  if (tooDeep) {
    out.rejections.push({
      reason: 'too-deep',
      detail: `element ${position} nests deeper than ${limits.maxDepth} levels (limits.maxDepth)`,
      text: '',
      position,
    });
    return;
  }
  if (!measure) {
    out.records.push({ value: element as Record<string, unknown>, size: Math.round(approxSize), position });
    return;
  }
  const elementText = serialise(element);
  const size = Buffer.byteLength(elementText);
  if (size > limits.maxRecordBytes) {
    out.rejections.push({
      reason: 'too-large',
      detail: `element ${position} is ${size} bytes; the limit is ${limits.maxRecordBytes} (limits.maxRecordBytes)`,
      text: elementText,
      position,
    });
    return;
  }
  out.records.push({ value: element as Record<string, unknown>, size, position });
}

/** An OTLP protobuf ExportTraceServiceRequest: decoded into its JSON form, then split like one. */
function addOtlpProtobuf(bytes: Buffer, limits: EnvelopeLimits, out: Unwrapped): void {
  let request: Record<string, unknown>;
  try {
    request = decodeTraceRequestProtobuf(bytes);
  } catch (e) {
    // protobufjs names offsets and wire types, never payload bytes; a stack overflow on a body
    // nested past the stack says nothing about the payload either.
    const why = e instanceof RangeError ? 'nested too deeply' : (e as Error).message;
    out.rejections.push({
      reason: 'malformed-protobuf',
      detail: `the body is binary but not an OTLP protobuf ExportTraceServiceRequest (${why}); send OTLP traces, or JSON`,
      text: bytes.toString('latin1'),
      position: 1,
    });
    return;
  }
  if (isOtlpTracesRequest(request)) splitTraces(request, { bodyBytes: bytes.length, measure: true }, limits, out);
}
