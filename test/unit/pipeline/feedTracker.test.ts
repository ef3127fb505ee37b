/**
 * The feed tracker on its own: which feeds a scope is expected to keep sending (learned in its first
 * hour, or configured), how long each may be quiet, and one transition per silence and per return.
 */
import { describe, expect, it } from 'vitest';
import type { CausewayConfig } from '../../../src/config/config.ts';
import type { FeedBeat } from '../../../src/model/feedBeat.ts';
import { FeedTracker } from '../../../src/pipeline/feedTracker.ts';

const MIN = 60_000;
const T0 = Date.parse('2026-03-14T10:00:00Z');
const at = (minutes: number) => T0 + minutes * MIN;

function settings(overrides: Partial<CausewayConfig['feeds']> = {}): CausewayConfig['feeds'] {
  return { expected: {}, learnMinutes: 60, minIntervalMinutes: 15, intervalMinutes: {}, ...overrides };
}

const beat = (feed: string, minute: number, scope = 'aks-agents'): FeedBeat => ({
  scope,
  feed,
  events: 3,
  lastEventTime: at(minute) - 1000,
  seenAt: at(minute),
});

/** Beats for `feed` every `every` minutes from `from` to `to` (inclusive), ticking each minute in between. */
function run(t: FeedTracker, feeds: Record<string, { every: number; from: number; to: number }>, until: number): void {
  for (let m = 0; m <= until; m++) {
    for (const [feed, f] of Object.entries(feeds))
      if (m >= f.from && m <= f.to && (m - f.from) % f.every === 0) t.observe([beat(feed, m)]);
    t.tick(at(m));
  }
}

describe('FeedTracker', () => {
  it('reports a learned feed silent once, after the learning hour and its interval, and resumed once', () => {
    const t = new FeedTracker(settings());
    run(t, { 'aks.kube-audit': { every: 1, from: 0, to: 70 }, tetragon: { every: 1, from: 0, to: 200 } }, 200);
    const silent = t.drain();
    expect(silent).toEqual([
      {
        type: 'feed-silent',
        time: at(86),
        scope: 'aks-agents',
        feed: 'aks.kube-audit',
        lastSeen: at(70),
        expectedIntervalMinutes: 15,
      },
    ]);
    t.observe([beat('aks.kube-audit', 230)]);
    run(t, {}, 10);
    expect(t.drain()).toEqual([
      {
        type: 'feed-resumed',
        time: at(230),
        scope: 'aks-agents',
        feed: 'aks.kube-audit',
        lastSeen: at(70),
        expectedIntervalMinutes: 15,
        silentMinutes: 160,
      },
    ]);
  });

  it('reports nothing while a scope is learning, however quiet', () => {
    const t = new FeedTracker(settings());
    run(t, { 'aks.kube-audit': { every: 1, from: 0, to: 5 } }, 59);
    expect(t.drain()).toEqual([]);
    expect(t.status()).toEqual([expect.objectContaining({ feed: 'aks.kube-audit', status: 'learning' })]);
  });

  it('gives a feed that spoke rarely while learning three times its longest quiet spell', () => {
    const t = new FeedTracker(settings());
    // falco alerts at minutes 0, 25 and 40: quiet spells of 25, 15 and (to the end of learning) 20;
    // tetragon once, at the start: quiet for the rest of the hour.
    t.observe([beat('tetragon', 0)]);
    for (const m of [0, 25, 40]) t.observe([beat('falco', m)]);
    t.tick(at(60));
    expect(t.status().map((s) => [s.feed, s.status, s.expectedIntervalMinutes])).toEqual([
      ['tetragon', 'ok', 180],
      ['falco', 'ok', 75],
    ]);
    t.tick(at(40 + 75));
    expect(t.drain()).toEqual([]);
    t.tick(at(40 + 76));
    expect(t.drain().map((x) => [x.type, x.feed])).toEqual([['feed-silent', 'falco']]);
  });

  it('does not expect a feed a learned scope first sends after its learning hour', () => {
    const t = new FeedTracker(settings());
    run(t, { tetragon: { every: 1, from: 0, to: 300 }, 'aks.kube-audit': { every: 1, from: 90, to: 100 } }, 300);
    expect(t.drain()).toEqual([]);
    expect(t.status().find((s) => s.feed === 'aks.kube-audit')).toMatchObject({ status: 'not-expected' });
  });

  it('expects configured feeds the scope never sent: the Diagnostic Setting nobody enabled', () => {
    const t = new FeedTracker(settings({ expected: { '*': ['tetragon', 'aks.kube-audit'] } }));
    run(t, { tetragon: { every: 1, from: 0, to: 120 } }, 120);
    // Never seen: silent as soon as the learning hour ends (it has been missing all along).
    expect(t.drain()).toEqual([
      {
        type: 'feed-silent',
        time: at(60),
        scope: 'aks-agents',
        feed: 'aks.kube-audit',
        expectedIntervalMinutes: 15,
      },
    ]);
  });

  it('uses the configured interval of a feed over the learned one', () => {
    const t = new FeedTracker(settings({ intervalMinutes: { tetragon: 45 } }));
    run(t, { tetragon: { every: 1, from: 0, to: 60 } }, 200);
    expect(t.drain()).toEqual([
      expect.objectContaining({ feed: 'tetragon', time: at(106), expectedIntervalMinutes: 45 }),
    ]);
  });

  it('keeps its state through a snapshot: a restored tracker does not report the same silence again', () => {
    const t = new FeedTracker(settings());
    run(t, { 'aks.kube-audit': { every: 1, from: 0, to: 70 } }, 100);
    expect(t.drain()).toHaveLength(1);
    const restored = new FeedTracker(settings());
    restored.restore(JSON.parse(JSON.stringify(t.snapshot())));
    for (let m = 100; m < 200; m++) restored.tick(at(m));
    expect(restored.drain()).toEqual([]);
    restored.observe([beat('aks.kube-audit', 200)]);
    expect(restored.drain().map((x) => x.type)).toEqual(['feed-resumed']);
  });

  it('tracks scopes apart: a silent tenant feed says nothing about a cluster', () => {
    const t = new FeedTracker(settings());
    for (let m = 0; m <= 150; m++) {
      t.observe([beat('tetragon', m)]);
      if (m <= 30) t.observe([beat('entra.ManagedIdentitySignInLogs', m, 'tenant:t1')]);
      t.tick(at(m));
    }
    // Quiet from minute 30 to the end of learning: an interval of 90 minutes, so silent at 121.
    expect(t.drain().map((x) => [x.scope, x.feed, x.time])).toEqual([
      ['tenant:t1', 'entra.ManagedIdentitySignInLogs', at(121)],
    ]);
  });
});
