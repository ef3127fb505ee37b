/**
 * JSON Lines, read one line at a time and judged one line at a time: a torn first line (a
 * rotated log), a stray `[` or any garbage line is rejected on its own and every valid line
 * around it goes on; two records glued onto one line are split and read both. A body in which no
 * line is JSON at all (YAML, CSV, a log file) is one rejection, not one per line.
 */
import type { EnvelopeLimits, EnvelopeRejection, Unwrapped } from './envelope.ts';
import { byteSize, topLevelValues, tryParse } from './jsonText.ts';

/** Failures held back before the first line that is JSON: kept whole up to this many, then counted. */
const HELD = 16;

/** What the envelope does with one parsed value (a record, an array of them, an OTLP export). */
export type AddDocument = (value: unknown, size: number, raw: string, line: number) => void;

/**
 * Splits `text` into lines and hands each parsed value to `add`; yields after each line so the
 * caller can take what was added. Past the record budget the rest of the lines are counted only.
 */
export function* splitJsonLines(
  text: string,
  limits: EnvelopeLimits,
  out: Unwrapped,
  add: AddDocument,
): Generator<void> {
  const held: EnvelopeRejection[] = [];
  let parsedAny = false;
  let lines = 0;
  const begin = () => {
    // The body is JSON Lines after all: what was held back is rejected line by line.
    if (parsedAny) return;
    parsedAny = true;
    out.rejections.push(...held.splice(0));
  };
  const reject = (r: EnvelopeRejection) => {
    if (parsedAny) out.rejections.push(r);
    else if (held.length < HELD) held.push(r);
    else held[HELD - 1]!.count = (held[HELD - 1]!.count ?? 1) + 1;
  };
  let start = 0;
  let line = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    line++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === '') continue;
    lines++;
    if (out.budget.exhausted) {
      out.budget.over++;
      yield* countRest(text, start, out);
      break;
    }
    const first = raw.charCodeAt(0);
    if (first !== 123 && first !== 91) {
      // Not an object or array: a log line, YAML, the tail of a torn record. No parse needed.
      if (out.budget.take())
        reject({ reason: 'malformed-json', detail: `line ${line} is not a JSON object`, text: raw, position: line });
      continue;
    }
    const size = byteSize(raw, limits.maxRecordBytes);
    // An OTLP export (a Collector file exporter line) is an envelope: its spans are measured one by one.
    if (size > limits.maxRecordBytes && !raw.includes('"resourceSpans"')) {
      if (out.budget.take())
        reject({
          reason: 'too-large',
          detail: `line ${line} is ${size} bytes; the limit is ${limits.maxRecordBytes} (limits.maxRecordBytes)`,
          text: raw,
          position: line,
        });
      continue;
    }
    const parsed = tryParse(raw);
    if (parsed.ok) {
      begin();
      add(parsed.value, size, raw, line);
      if ((lines & 63) === 0) yield;
      continue;
    }
    const pieces = topLevelValues(raw);
    if (!pieces) {
      if (out.budget.take())
        reject({ reason: 'malformed-json', detail: `line ${line}: ${parsed.error}`, text: raw, position: line });
      continue;
    }
    for (const piece of pieces) {
      const value = tryParse(piece);
      if (value.ok) {
        begin();
        add(value.value, Buffer.byteLength(piece), piece, line);
      } else if (out.budget.take())
        reject({
          reason: 'malformed-json',
          detail: `line ${line} (one of ${pieces.length} values on it): ${value.error}`,
          text: piece,
          position: line,
        });
    }
    yield;
  }
  if (parsedAny) return;
  // Nothing in the body is JSON: one rejection for the body, with what it looks like.
  out.budget.over = 0;
  if (lines === 1 && held.length === 1) {
    out.rejections.push(held[0]!);
    return;
  }
  const firstLine = text.trimStart().split('\n', 1)[0]!.trim();
  const looksYaml = /^(---|[A-Za-z_][\w.-]*:(\s|$)|#)/.test(firstLine);
  out.rejections.push({
    reason: 'malformed-json',
    detail: `the body is not JSON, a JSON array or JSON Lines${looksYaml ? ' (it looks like YAML; Kubescape profiles are imported with `causeway profile import`)' : ''}`,
    text,
    position: 1,
  });
}

/** Characters scanned between yields while counting the unread rest of a body. */
const COUNT_SLICE = 1 << 20;

/**
 * Counts the non-blank lines from `from` on into the budget's overflow, without slicing or
 * parsing them (the unread rest of a body past its limit), yielding every megabyte.
 */
function* countRest(text: string, from: number, out: Unwrapped): Generator<void> {
  let content = false;
  for (let at = from; at < text.length; at += COUNT_SLICE) {
    const end = Math.min(text.length, at + COUNT_SLICE);
    let n = 0;
    for (let i = at; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) {
        if (content) n++;
        content = false;
      } else if (c !== 32 && c !== 9 && c !== 13) content = true;
    }
    out.budget.over += n;
    yield;
  }
  if (content) out.budget.over++;
}
