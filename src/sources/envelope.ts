/**
 * Envelopes: one message body (an HTTP request, a file, an Event Hubs/Kafka message) → records.
 * Accepts one JSON object, a JSON array, JSON Lines, `{"records":[…]}` (Log Analytics export,
 * Defender XDR streaming), an OTLP traces export in JSON or protobuf (split into one record per
 * span) and gzip of any of these. Never throws: every part of the body ends as a record or as a
 * rejection with a reason code.
 */
import { inflate, isGzip } from '../common/gzip.ts';
import type { ReasonCode } from '../common/status.ts';
import { decodeTraceRequestProtobuf, looksLikeOtlpProtobuf } from './otlp/protobuf.ts';
import { isOtlpTracesRequest, splitTraces } from './otlp/splitTraces.ts';

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
}

/** The message limit when none is configured: OTLP/HTTP servers default to 64 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface Unwrapped {
  records: RawRecord[];
  rejections: EnvelopeRejection[];
}

export function unwrap(body: Buffer | string, limits: EnvelopeLimits): Unwrapped {
  const out: Unwrapped = { records: [], rejections: [] };
  const maxBody = limits.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const tooLarge = (what: string, text: string) => {
    out.rejections.push({
      reason: 'too-large',
      detail: `${what} larger than ${maxBody} bytes (limits.maxMessageBytes); send smaller batches or raise the limit`,
      text,
      position: 1,
    });
    return out;
  };
  let text: string;
  if (typeof body === 'string') {
    if (body.length > maxBody && Buffer.byteLength(body) > maxBody) return tooLarge('the body is', body);
    text = body;
  } else {
    let bytes = body;
    if (isGzip(bytes)) {
      try {
        bytes = inflate(bytes, maxBody);
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
          return tooLarge('the gzip body inflates to', body.toString('latin1'));
        out.rejections.push({
          reason: 'malformed-gzip',
          detail: `gzip body could not be inflated: ${(e as Error).message}`,
          text: body.toString('latin1'),
          position: 1,
        });
        return out;
      }
    } else if (bytes.length > maxBody) return tooLarge('the body is', bytes.toString('latin1'));
    if (looksLikeOtlpProtobuf(bytes)) {
      addOtlpProtobuf(bytes, limits, out);
      return out;
    }
    text = bytes.toString('utf8');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const trimmed = text.trim();
  if (trimmed === '') {
    out.rejections.push({ reason: 'empty', detail: 'the body is empty', text, position: 1 });
    return out;
  }
  // A whole-body document first (pretty-printed JSON spans lines); JSON Lines when that fails.
  if (trimmed[0] === '[' || trimmed[0] === '{') {
    const parsed = tryParse(trimmed);
    if (parsed.ok) {
      addDocument(parsed.value, byteSize(trimmed, limits.maxRecordBytes), trimmed, limits, out);
      return out;
    }
    if (trimmed[0] === '[' || !trimmed.includes('\n')) {
      out.rejections.push({ reason: 'malformed-json', detail: parsed.error, text: trimmed, position: 1 });
      return out;
    }
  }
  // JSON Lines start with a JSON value; anything else (YAML, CSV, a log line) is one rejection,
  // not one per line.
  const firstLine = trimmed.slice(0, Math.max(0, trimmed.indexOf('\n')) || trimmed.length).trim();
  if (!(firstLine.startsWith('{') || firstLine.startsWith('['))) {
    const looksYaml = /^(---|[A-Za-z_][\w.-]*:(\s|$)|#)/.test(firstLine);
    out.rejections.push({
      reason: 'malformed-json',
      detail: `the body is not JSON, a JSON array or JSON Lines${looksYaml ? ' (it looks like YAML; Kubescape profiles are imported with `causeway profile import`)' : ''}`,
      text,
      position: 1,
    });
    return out;
  }
  splitLines(text, limits, out);
  return out;
}

function splitLines(text: string, limits: EnvelopeLimits, out: Unwrapped): void {
  let start = 0;
  let line = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === '') continue;
    const size = byteSize(raw, limits.maxRecordBytes);
    // An OTLP export (a Collector file exporter line) is an envelope: its spans are measured one by one.
    if (size > limits.maxRecordBytes && !raw.includes('"resourceSpans"')) {
      out.rejections.push({
        reason: 'too-large',
        detail: `line ${line} is ${size} bytes; the limit is ${limits.maxRecordBytes} (limits.maxRecordBytes)`,
        text: raw,
        position: line,
      });
      continue;
    }
    const parsed = tryParse(raw);
    if (!parsed.ok) {
      out.rejections.push({
        reason: 'malformed-json',
        detail: `line ${line}: ${parsed.error}`,
        text: raw,
        position: line,
      });
      continue;
    }
    addDocument(parsed.value, size, raw, limits, out, line);
  }
}

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
    const oversized = size > limits.maxRecordBytes;
    elements.forEach((element, i) =>
      addElement(element, limits, out, position + i, oversized || deep, size / Math.max(1, elements.length)),
    );
    return;
  }
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
  if (element === null || typeof element !== 'object' || Array.isArray(element)) {
    out.rejections.push({
      reason: 'unknown-format',
      detail: `element ${position} is not a JSON object`,
      text: JSON.stringify(element) ?? String(element),
      position,
    });
    return;
  }
  if (!measure) {
    out.records.push({ value: element as Record<string, unknown>, size: Math.round(approxSize), position });
    return;
  }
  const elementText = JSON.stringify(element);
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
  if (exceedsDepth(elementText, limits.maxDepth)) {
    out.rejections.push({
      reason: 'too-deep',
      detail: `element ${position} nests deeper than ${limits.maxDepth} levels (limits.maxDepth)`,
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
    out.rejections.push({
      reason: 'malformed-protobuf',
      detail: `the body is binary but not an OTLP protobuf ExportTraceServiceRequest (${(e as Error).message}); send OTLP traces, or JSON`,
      text: bytes.toString('latin1'),
      position: 1,
    });
    return;
  }
  if (isOtlpTracesRequest(request)) splitTraces(request, { bodyBytes: bytes.length, measure: true }, limits, out);
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: `not valid JSON (${parseErrorWithoutPayload((e as Error).message)})` };
  }
}

/**
 * V8's JSON errors quote the payload ("Unexpected token 'o', "not json…" is not valid JSON"),
 * and a dead letter must never carry payload text: keep only what and where.
 */
export function parseErrorWithoutPayload(message: string): string {
  const where = /at position (\d+)(?: \(line (\d+) column (\d+)\))?/.exec(message);
  const what = /^Unexpected end/.test(message)
    ? 'unexpected end of input'
    : /^Unexpected token|^Unexpected non-whitespace/.test(message)
      ? 'unexpected character'
      : /^Expected/.test(message)
        ? message.replace(/ in JSON.*$/, '').replace(/"[^"]*"|'[^']*'/g, '…')
        : 'syntax error';
  return where ? `${what} at position ${where[1]}${where[2] ? ` (line ${where[2]} column ${where[3]})` : ''}` : what;
}

/**
 * Bracket depth of JSON text, skipping string contents. A linear scan over char codes: cheaper
 * than walking the parsed object, and it runs before any recursive code sees the record.
 */
export function exceedsDepth(text: string, maxDepth: number): boolean {
  // Fewer opening brackets than the limit cannot nest past it: count them with the native
  // indexOf first, and scan char by char only for the rare record that has that many.
  if (!hasAtLeastBrackets(text, maxDepth + 1)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped char
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > maxDepth) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

function hasAtLeastBrackets(text: string, n: number): boolean {
  let count = 0;
  for (let i = text.indexOf('{'); i !== -1 && count < n; i = text.indexOf('{', i + 1)) count++;
  for (let i = text.indexOf('['); i !== -1 && count < n; i = text.indexOf('[', i + 1)) count++;
  return count >= n;
}

/** UTF-8 size without a full scan when the string is clearly under the limit (≤ 3 bytes per UTF-16 unit). */
export function byteSize(text: string, limit: number): number {
  return text.length * 3 <= limit ? text.length : Buffer.byteLength(text);
}
