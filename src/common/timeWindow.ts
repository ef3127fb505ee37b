/**
 * The sane range of event times. Every time that enters the pipeline (an event's time, a span's
 * start and end) lies in it, so no stage ever holds a date that cannot be written as a row: a
 * 30-digit epoch, Go's zero time or a year-9000 clock are rejected at decode as `bad-time`.
 */

/** The latest time any row can carry: a four-digit year, as Log Analytics and ISO 8601 basic expect. */
export const MAX_STORABLE_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** How the range is configured (`limits.earliestEventTime`, `limits.maxFutureMinutes`). */
export interface TimeLimits {
  /** RFC 3339; no event is older. */
  earliestEventTime: string;
  /** How far ahead of the clock an event may claim to be (sensor clock skew). */
  maxFutureMinutes: number;
}

/** The range, in epoch ms, at one reading of the clock. */
export interface TimeWindow {
  earliest: number;
  latest: number;
}

export const DEFAULT_TIME_LIMITS: TimeLimits = { earliestEventTime: '2000-01-01T00:00:00Z', maxFutureMinutes: 1440 };

/**
 * The range at `now`. A clock that reads before the earliest time is a stopped clock (tests and
 * the bench run on event time alone and inject `() => 0`): then only the storable ceiling bounds
 * the range from above.
 */
export function timeWindow(now: number, limits: Partial<TimeLimits> = {}): TimeWindow {
  const earliest = Date.parse(limits.earliestEventTime ?? DEFAULT_TIME_LIMITS.earliestEventTime);
  const ahead = (limits.maxFutureMinutes ?? DEFAULT_TIME_LIMITS.maxFutureMinutes) * 60_000;
  const latest = now >= earliest ? Math.min(now + ahead, MAX_STORABLE_TIME) : MAX_STORABLE_TIME;
  return { earliest: Number.isFinite(earliest) ? earliest : 0, latest };
}

/** True for a finite time within the window. */
export function inWindow(time: unknown, window: TimeWindow): time is number {
  return typeof time === 'number' && Number.isFinite(time) && time >= window.earliest && time <= window.latest;
}

/** The window as people read it in a reason: `2000-01-01T00:00:00.000Z … clock + 1440 min`. */
export function describeWindow(limits: Partial<TimeLimits> = {}): string {
  const earliest = limits.earliestEventTime ?? DEFAULT_TIME_LIMITS.earliestEventTime;
  const ahead = limits.maxFutureMinutes ?? DEFAULT_TIME_LIMITS.maxFutureMinutes;
  return `${earliest} … the clock + ${ahead} min (limits.earliestEventTime, limits.maxFutureMinutes)`;
}

/** The times an event carries (structurally: any normalised event). */
export interface TimedEvent {
  time: number;
  trace?: { startTime?: number; endTime?: number };
  process?: { startTime?: number; parentStartTime?: number };
}

/** True when every time the event carries is in the window (what stage ① guarantees for its output). */
export function eventInWindow(event: TimedEvent | undefined, window: TimeWindow): boolean {
  if (!event || !inWindow(event.time, window)) return false;
  const t = event.trace;
  const p = event.process;
  return (
    (t?.startTime === undefined || inWindow(t.startTime, window)) &&
    (t?.endTime === undefined || inWindow(t.endTime, window)) &&
    (p?.startTime === undefined || inWindow(p.startTime, window)) &&
    (p?.parentStartTime === undefined || inWindow(p.parentStartTime, window))
  );
}

/** In the window, or absent. */
export function optionalInWindow(time: unknown, window: TimeWindow): boolean {
  return time === undefined || time === null || inWindow(time, window);
}

/** Filters lists in place of a snapshot check and counts what it drops (`dropped`). */
export class Pruner {
  dropped = 0;

  keep<T>(list: T[] | undefined, ok: (x: T) => boolean): T[] {
    const out = (list ?? []).filter(ok);
    this.dropped += (list?.length ?? 0) - out.length;
    return out;
  }

  /** A watermark outside the window goes back to 0 (counted); one inside stays. */
  watermark(value: number, window: TimeWindow): number {
    if (value === 0 || inWindow(value, window)) return value;
    this.dropped++;
    return 0;
  }
}
