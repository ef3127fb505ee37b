/**
 * The story stage's side of snapshot validation: before a snapshot is restored, every value no
 * stage could have produced (a time outside the sane range) is dropped and counted, so a poisoned
 * snapshot costs its bad values once instead of failing every batch after every restart.
 */
import { eventInWindow, inWindow, type TimeWindow, Pruner } from '../common/timeWindow.ts';
import type { StorySnapshot } from './storyStage.ts';

/** Removes invalid values from `snapshot` in place; returns how many were dropped. */
export function sanitiseStorySnapshot(snapshot: StorySnapshot, window: TimeWindow): number {
  const pruner = new Pruner();
  const keep = pruner.keep.bind(pruner);
  snapshot.watermark = pruner.watermark(snapshot.watermark, window);
  snapshot.episodes = keep(snapshot.episodes, (e) => inWindow(e.start, window) && inWindow(e.end, window));
  for (const e of snapshot.episodes) {
    e.evidence = keep(e.evidence, (x) => eventInWindow(x, window));
    e.signals = keep(e.signals, (s) => inWindow(s.time, window));
  }
  snapshot.stories = keep(
    snapshot.stories,
    ([, s]) => inWindow(s.lastSeen, window) && (s.emittedAt === 0 || inWindow(s.emittedAt, window)),
  );
  return pruner.dropped;
}
