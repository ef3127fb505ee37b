/**
 * Feed heartbeats are for minutes-long silences: one beat per scope and feed a minute is plenty, from
 * each process that runs stage ①. Without a limit every ingest batch (a Functions invocation, a
 * Kafka batch, an HTTP request) would put a message on the `episodes` hub, among the episodes the
 * story partitions batch and bound. The counts held back are added to the next beat, so the
 * tracker's event counts stay whole. What this keeps is an optimisation, never a correctness matter:
 * a process that restarts sends one beat sooner, one that stops loses at most a minute of counts.
 */
import type { FeedBeat, KeyedFeedBeats } from '../model/feedBeat.ts';

/** At most one beat per scope and feed this often, per process. */
export const FEED_BEAT_INTERVAL_MS = 60_000;
/** Scope/feed pairs remembered per process (beyond it, the oldest is forgotten: one early beat). */
const MAX_PAIRS = 16_384;

interface Pending {
  sentAt: number;
  held?: FeedBeat;
}

export class FeedBeatThrottle {
  private readonly pairs = new Map<string, Pending>();

  constructor(private readonly intervalMs = FEED_BEAT_INTERVAL_MS) {}

  /** The beats due now (with counts held back since the last one), grouped by scope as given. */
  admit(batches: readonly KeyedFeedBeats[], now: number): KeyedFeedBeats[] {
    const out: KeyedFeedBeats[] = [];
    for (const { key, feedBeats } of batches) {
      const due: FeedBeat[] = [];
      for (const beat of feedBeats) {
        const id = `${beat.scope}\u0000${beat.feed}`;
        const p = this.pairs.get(id);
        const merged = p?.held ? mergeBeats(p.held, beat) : beat;
        if (p && now - p.sentAt < this.intervalMs) {
          p.held = merged;
          continue;
        }
        this.remember(id, { sentAt: now });
        due.push(merged);
      }
      if (due.length) out.push({ key, feedBeats: due });
    }
    return out;
  }

  private remember(id: string, p: Pending): void {
    this.pairs.delete(id);
    if (this.pairs.size >= MAX_PAIRS) this.pairs.delete(this.pairs.keys().next().value as string);
    this.pairs.set(id, p);
  }
}

function mergeBeats(a: FeedBeat, b: FeedBeat): FeedBeat {
  return {
    scope: b.scope,
    feed: b.feed,
    events: a.events + b.events,
    lastEventTime: Math.max(a.lastEventTime, b.lastEventTime),
    seenAt: Math.max(a.seenAt, b.seenAt),
  };
}
