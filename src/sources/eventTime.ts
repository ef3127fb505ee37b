/**
 * Event times as decoders read them: a time field that is present must hold a readable time in
 * the sane range (common/timeWindow.ts), or the record is rejected as `bad-time` naming the field
 * and the value's shape, never the value.
 */
import { PermanentError } from '../errors.ts';
import { describeWindow, inWindow, timeWindow, type TimeWindow } from '../common/timeWindow.ts';
import { nanosToMillis, parseTime } from '../transforms/normalise.ts';
import type { DecodeContext } from './source.ts';

/** The default range at a stopped clock, for callers that give no DecodeContext.time. */
const DEFAULT_WINDOW = timeWindow(0);

export function windowOf(ctx: DecodeContext): TimeWindow {
  return ctx.time?.window ?? DEFAULT_WINDOW;
}

/**
 * The time in `value` (RFC 3339 or an epoch number of any unit), read from `field` of a `what`
 * record: undefined when the field is absent or empty; throws `bad-time` when it is present but
 * not a time in range.
 */
export function timeField(value: unknown, field: string, what: string, ctx: DecodeContext): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return checked(parseTime(value), value, field, what, ctx);
}

/** OTLP `…UnixNano` fields (decimal strings or numbers, nanoseconds). */
export function nanoTimeField(value: unknown, field: string, what: string, ctx: DecodeContext): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return checked(nanosToMillis(value), value, field, what, ctx);
}

function checked(time: number | undefined, value: unknown, field: string, what: string, ctx: DecodeContext): number {
  if (inWindow(time, windowOf(ctx))) return time;
  throw new PermanentError(
    `${what} field "${field}" holds ${shapeOf(value)} that is ${time === undefined ? 'not a readable time' : 'outside the accepted range'} (${describeWindow(ctx.time?.limits)}); fix the sensor's clock or the record`,
    'bad-time',
  );
}

/** What a value looks like, without what it says: `a 30-digit string`, `a number`, `an RFC 3339-like string`. */
export function shapeOf(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? 'a number' : 'a non-finite number';
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return `a ${value.length}-digit string`;
    if (/^\d{4,}-\d\d-\d\d/.test(value)) return 'an RFC 3339-like string';
    return `a string of ${value.length} characters`;
  }
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
