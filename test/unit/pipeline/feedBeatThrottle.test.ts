/** Feed heartbeats from one process: at most one a minute per scope and feed, held-back counts carried. */
import { describe, expect, it } from 'vitest';
import type { KeyedFeedBeats } from '../../../src/model/feedBeat.ts';
import { FeedBeatThrottle } from '../../../src/pipeline/feedBeatThrottle.ts';

const beats = (seenAt: number, events = 2, scope = 'aks-a'): KeyedFeedBeats[] => [
  {
    key: scope,
    feedBeats: [
      { scope, feed: 'tetragon', events, lastEventTime: seenAt - 5, seenAt },
      { scope, feed: 'aks.kube-audit', events: 1, lastEventTime: seenAt - 9, seenAt },
    ],
  },
];

describe('FeedBeatThrottle', () => {
  it('sends the first beat of a scope and feed at once, then one a minute with the counts held back', () => {
    const t = new FeedBeatThrottle(60_000);
    expect(t.admit(beats(0), 0)).toEqual(beats(0));
    expect(t.admit(beats(10_000), 10_000)).toEqual([]);
    expect(t.admit(beats(30_000, 5), 30_000)).toEqual([]);
    expect(t.admit(beats(60_000), 60_000)).toEqual([
      {
        key: 'aks-a',
        feedBeats: [
          { scope: 'aks-a', feed: 'tetragon', events: 9, lastEventTime: 59_995, seenAt: 60_000 },
          { scope: 'aks-a', feed: 'aks.kube-audit', events: 3, lastEventTime: 59_991, seenAt: 60_000 },
        ],
      },
    ]);
  });

  it('keeps scopes apart', () => {
    const t = new FeedBeatThrottle(60_000);
    t.admit(beats(0), 0);
    expect(t.admit(beats(1000, 2, 'aks-b'), 1000).map((b) => b.key)).toEqual(['aks-b']);
  });
});
