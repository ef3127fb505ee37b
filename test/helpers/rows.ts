/** Reading table rows as the Sentinel parsers do: latest version per story, repeats by id. */
import { expect } from 'vitest';

type Row = Record<string, unknown>;

/** Latest row per StoryId, as the CausewayStories parser reads them. */
export { latestStoryRows as latestStories } from '../../src/sinks/tableFiles.ts';
import { latestStoryRows as latestStories } from '../../src/sinks/tableFiles.ts';

/** A row may repeat (a replay after a crash), but only identically (apart from `except` columns). */
export function identicalById(rows: readonly Row[], key: (r: Row) => string, except: readonly string[] = []): void {
  const seen = new Map<string, string>();
  for (const row of rows) {
    const r = except.length ? Object.fromEntries(Object.entries(row).filter(([c]) => !except.includes(c))) : row;
    const k = key(r);
    const v = JSON.stringify(r);
    if (seen.has(k) && seen.get(k) !== v) {
      const before = JSON.parse(seen.get(k)!) as Row;
      const differing = Object.keys(r).filter((c) => JSON.stringify(before[c]) !== JSON.stringify(r[c]));
      expect(
        differing.map((c) => `${k} ${c}: ${JSON.stringify(before[c])} then ${JSON.stringify(r[c])}`),
        `row ${k} repeated with different content`,
      ).toEqual([]);
    }
    seen.set(k, v);
  }
}

/** Latest row of every story that is not merged away. */
export function liveStoryRows(rows: readonly Row[]): Map<string, Row> {
  return new Map([...latestStories(rows)].filter(([, r]) => r.Status !== 'merged'));
}

/**
 * Event ids per live story, following MergedInto from stories merged away: which story an evidence
 * row was first written under depends on arrival order, where it ends up does not.
 */
export function eventsByLiveStory(stories: readonly Row[], evidence: readonly Row[]): Record<string, string[]> {
  const latest = latestStories(stories);
  const resolve = (id: string): string => {
    for (let i = 0, cur = id; i < 64; i++) {
      const r = latest.get(cur);
      if (!r || r.Status !== 'merged' || !r.MergedInto) return cur;
      cur = String(r.MergedInto);
    }
    return id;
  };
  const m: Record<string, Set<string>> = {};
  for (const r of evidence) (m[resolve(String(r.StoryId))] ??= new Set()).add(String(r.EventId));
  return Object.fromEntries(
    Object.keys(m)
      .sort()
      .map((k) => [k, [...m[k]!].sort()]),
  );
}
