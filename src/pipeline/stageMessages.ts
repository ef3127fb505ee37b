/**
 * The contracts of the internal hubs: `workload-events` carries `{key, event}` (stage ②'s input),
 * `episodes` carries `{key, episode}` (stage ③'s input) and `{key, feedBeats}` (stage ①'s feed
 * heartbeats for the feed tracker), both also control messages. A message
 * that is not JSON or not the contract is dead-lettered by the runner, never folded into state.
 */
import { eventInWindow, inWindow, type TimeWindow } from '../common/timeWindow.ts';
import type { Episode, KeyedEpisode, KeyedEvent } from '../model/episode.ts';
import type { KeyedMessage } from './publisher.ts';
import type { KeyedFeedBeats } from '../model/feedBeat.ts';
import { parseErrorWithoutPayload } from '../sources/envelope.ts';

export function isKeyedEvent(m: unknown): m is KeyedEvent {
  const e = (m as Partial<KeyedEvent> | null)?.event;
  return (
    typeof (m as Partial<KeyedEvent>)?.key === 'string' &&
    typeof e === 'object' &&
    e !== null &&
    typeof e.time === 'number' &&
    typeof e.kind === 'string' &&
    typeof e.layer === 'string' &&
    typeof e.id === 'string'
  );
}

export function isKeyedEpisode(m: unknown): m is KeyedEpisode {
  const e = (m as Partial<KeyedEpisode> | null)?.episode;
  return (
    typeof (m as Partial<KeyedEpisode>)?.key === 'string' &&
    typeof e === 'object' &&
    e !== null &&
    typeof e.id === 'string' &&
    Array.isArray(e.evidence) &&
    Array.isArray(e.signals)
  );
}

export function isKeyedFeedBeats(m: unknown): m is KeyedFeedBeats {
  const beats = (m as Partial<KeyedFeedBeats> | null)?.feedBeats;
  return (
    typeof (m as Partial<KeyedFeedBeats>)?.key === 'string' &&
    Array.isArray(beats) &&
    beats.every(
      (b: unknown) =>
        typeof b === 'object' &&
        b !== null &&
        typeof (b as { scope?: unknown }).scope === 'string' &&
        typeof (b as { feed?: unknown }).feed === 'string' &&
        Number.isFinite((b as { seenAt?: unknown }).seenAt) &&
        Number.isFinite((b as { events?: unknown }).events) &&
        Number.isFinite((b as { lastEventTime?: unknown }).lastEventTime),
    )
  );
}

/** A message body as bytes or text: transports hand over bytes, strings or already-parsed JSON. */
export function bodyOf(m: unknown): Buffer | string {
  if (Buffer.isBuffer(m)) return m;
  if (m instanceof Uint8Array) return Buffer.from(m);
  if (typeof m === 'string') return m;
  return JSON.stringify(m) ?? '';
}

/** Parses a message that may still be bytes or text; objects (the in-process bus) pass as they are. */
export function parseMessage(m: unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    if (Buffer.isBuffer(m) || m instanceof Uint8Array)
      return { ok: true, value: JSON.parse(Buffer.from(m).toString('utf8')) };
    if (typeof m === 'string') return { ok: true, value: JSON.parse(m) };
    return { ok: true, value: m };
  } catch (e) {
    return { ok: false, error: parseErrorWithoutPayload((e as Error).message) };
  }
}

/** A keyed event or episode as the next stage's message. */
export const keyedEvent = (k: KeyedEvent): KeyedMessage => ({ key: k.key, body: k });

/** Every time an episode carries (its span and its evidence) is in the window. */
export function episodeInWindow(e: Episode, window: TimeWindow): boolean {
  return (
    inWindow(e.start, window) &&
    inWindow(e.end, window) &&
    e.evidence.every((x) => eventInWindow(x, window)) &&
    e.signals.every((x) => inWindow(x.time, window))
  );
}

export const keyedEpisode = (k: KeyedEpisode): KeyedMessage => ({ key: k.key, body: k });
