/**
 * Deterministic story and evidence ids. A story is named after its anchor signal, so replays and
 * every partition agree on it, and it does not change when later (or delayed) signals join.
 */
import type { Signal } from '../model/episode.ts';
import { uuidFrom } from '../common/hash.ts';

/** The anchor: on-time signals before delayed vendor alerts, then earliest, then by id. */
export function anchorSignal(signals: readonly Signal[]): Signal | undefined {
  let best: Signal | undefined;
  for (const s of signals) {
    if (!best) best = s;
    else if (
      Number(s.delayed) !== Number(best.delayed)
        ? !s.delayed
        : s.time !== best.time
          ? s.time < best.time
          : s.id < best.id
    )
      best = s;
  }
  return best;
}

/** The story id: derived from the anchor signal, so it never changes as the story grows. */
export function storyIdFor(anchor: Signal): string {
  return uuidFrom(`causeway-story:${anchor.id}`);
}

/** The id of one event's evidence row in one story. */
export function evidenceIdFor(storyId: string, eventId: string): string {
  return uuidFrom(`causeway-evidence:${storyId}:${eventId}`);
}
