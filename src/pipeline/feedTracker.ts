/**
 * The feed watch: notices the broken handoff (a Diagnostic Setting never enabled, an export that
 * stopped, a sensor DaemonSet gone) that no detector can, because it is an absence.
 *
 * Where it lives: stage ① is stateless and scaled out (any number of Functions instances or Kafka
 * consumers each see some of the input), so it cannot know that a feed went quiet. It only counts
 * what it decoded, per scope and feed, and sends those beats on the `episodes` hub keyed by scope,
 * the same key a cluster's episodes use (at most one a minute per scope and feed from each process:
 * feedBeatThrottle.ts). Each scope therefore lands in exactly one story partition,
 * whose owner keeps this tracker next to its story stage and snapshots it with it (restore → skip
 * seen → process → deliver → snapshot, like the stage): one tracker per scope in every host, so a
 * transition is written once, and a replayed batch (same beats, same ticks, whose times travel in
 * the messages) writes the same rows again at most. Silence is judged on the ticks every host
 * already broadcasts to the story partitions.
 *
 * Which feeds a scope must keep sending: the configured `feeds.expected`, else every feed it sent in
 * its first `learnMinutes`. How quiet is silent: `feeds.intervalMinutes[feed]`, else the larger of
 * `minIntervalMinutes` and three times the longest quiet spell the feed had while learning (so an
 * alert feed that speaks once an hour is not called silent after fifteen minutes).
 */
import type { CausewayConfig } from '../config/config.ts';
import type { FeedBeat, FeedStatus, FeedTransition } from '../model/feedBeat.ts';

interface FeedState {
  firstSeen?: number;
  lastSeen?: number;
  lastEventTime?: number;
  events: number;
  /** Longest quiet spell while learning (ms). */
  longestGap: number;
  /** Fixed when learning ends (or at once for configured feeds). */
  intervalMs?: number;
  expected: boolean;
  silent: boolean;
}

interface ScopeState {
  firstSeen: number;
  learned: boolean;
  feeds: Record<string, FeedState>;
}

/** The tracker's state in a story partition's snapshot. */
export interface FeedTrackerSnapshot {
  scopes: [string, ScopeState][];
  evictions: number;
}

/** Three quiet spells of the learning period make a silence. */
const GAP_FACTOR = 3;
/** Scopes kept per partition (clusters, tenants, vaults); the oldest goes first, counted. */
const MAX_SCOPES = 4096;
/** Feeds kept per scope. */
const MAX_FEEDS = 64;

export class FeedTracker {
  private readonly scopes = new Map<string, ScopeState>();
  private transitions: FeedTransition[] = [];
  evictions = 0;

  constructor(private readonly settings: CausewayConfig['feeds']) {}

  /** Folds in one batch's beats; a silent feed that speaks again is resumed now. */
  observe(beats: readonly FeedBeat[]): void {
    for (const b of beats) {
      const scope = this.scope(b.scope, b.seenAt);
      let f = scope.feeds[b.feed];
      if (!f) {
        if (Object.keys(scope.feeds).length >= MAX_FEEDS) continue;
        f = scope.feeds[b.feed] = this.newFeed(b.scope, b.feed, scope);
      }
      if (!scope.learned && f.lastSeen !== undefined) f.longestGap = Math.max(f.longestGap, b.seenAt - f.lastSeen);
      if (f.silent) {
        f.silent = false;
        this.transitions.push({
          type: 'feed-resumed',
          time: b.seenAt,
          scope: b.scope,
          feed: b.feed,
          lastSeen: f.lastSeen,
          expectedIntervalMinutes: minutes(f.intervalMs ?? 0),
          silentMinutes: minutes(b.seenAt - (f.lastSeen ?? scope.firstSeen)),
        });
      }
      f.firstSeen ??= b.seenAt;
      if (f.lastSeen === undefined || b.seenAt > f.lastSeen) f.lastSeen = b.seenAt;
      if (f.lastEventTime === undefined || b.lastEventTime > f.lastEventTime) f.lastEventTime = b.lastEventTime;
      f.events += b.events;
    }
  }

  /** The timer: ends learning periods that are over, and reports expected feeds quiet past their interval. */
  tick(now: number): void {
    for (const [name, scope] of this.scopes) {
      if (!scope.learned && now >= scope.firstSeen + this.learnMs) this.endLearning(scope, now);
      if (!scope.learned) continue;
      if (this.configured) this.addConfiguredFeeds(name, scope);
      for (const [feed, f] of Object.entries(scope.feeds)) {
        if (!f.expected || f.silent || f.intervalMs === undefined) continue;
        const quietSince = f.lastSeen ?? scope.firstSeen;
        if (now - quietSince <= f.intervalMs) continue;
        f.silent = true;
        this.transitions.push({
          type: 'feed-silent',
          time: now,
          scope: name,
          feed,
          lastSeen: f.lastSeen,
          expectedIntervalMinutes: minutes(f.intervalMs),
        });
      }
    }
  }

  /** Transitions since the last call, oldest first. */
  drain(): FeedTransition[] {
    const out = this.transitions;
    this.transitions = [];
    return out;
  }

  status(): FeedStatus[] {
    const out: FeedStatus[] = [];
    for (const [scope, s] of this.scopes)
      for (const [feed, f] of Object.entries(s.feeds))
        out.push({
          scope,
          feed,
          status: !s.learned ? 'learning' : !f.expected ? 'not-expected' : f.silent ? 'silent' : 'ok',
          lastSeen: f.lastSeen !== undefined ? new Date(f.lastSeen).toISOString() : undefined,
          expectedIntervalMinutes: f.intervalMs !== undefined ? minutes(f.intervalMs) : undefined,
          events: f.events,
        });
    return out;
  }

  snapshot(): FeedTrackerSnapshot {
    return { scopes: [...this.scopes], evictions: this.evictions };
  }

  restore(s: FeedTrackerSnapshot): void {
    this.scopes.clear();
    for (const [name, scope] of s.scopes) this.scopes.set(name, scope);
    this.evictions = s.evictions;
  }

  private get learnMs(): number {
    return this.settings.learnMinutes * 60_000;
  }

  private get configured(): boolean {
    return Object.keys(this.settings.expected).length > 0;
  }

  private scope(name: string, seenAt: number): ScopeState {
    let s = this.scopes.get(name);
    if (!s) {
      if (this.scopes.size >= MAX_SCOPES) {
        this.scopes.delete(this.scopes.keys().next().value as string);
        this.evictions++;
      }
      this.scopes.set(name, (s = { firstSeen: seenAt, learned: false, feeds: {} }));
    }
    return s;
  }

  private newFeed(scope: string, feed: string, state: ScopeState): FeedState {
    // A feed that first speaks after its scope's learning period is not expected, unless configured.
    const expected = this.configured ? this.isConfigured(scope, feed) : !state.learned;
    return {
      events: 0,
      longestGap: 0,
      expected,
      silent: false,
      intervalMs: state.learned ? this.intervalFor(feed, 0) : undefined,
    };
  }

  private isConfigured(scope: string, feed: string): boolean {
    const e = this.settings.expected;
    return (e[scope] ?? e['*'] ?? []).includes(feed);
  }

  /** Configured feeds a scope has not sent at all are expected too: the missing handoff. */
  private addConfiguredFeeds(name: string, scope: ScopeState): void {
    const e = this.settings.expected;
    for (const feed of e[name] ?? e['*'] ?? [])
      if (!scope.feeds[feed] && Object.keys(scope.feeds).length < MAX_FEEDS)
        scope.feeds[feed] = {
          events: 0,
          longestGap: 0,
          expected: true,
          silent: false,
          intervalMs: this.intervalFor(feed, 0),
        };
  }

  private endLearning(scope: ScopeState, now: number): void {
    scope.learned = true;
    const end = Math.min(now, scope.firstSeen + this.learnMs);
    for (const [feed, f] of Object.entries(scope.feeds)) {
      if (f.intervalMs !== undefined) continue;
      // Quiet spells: from the scope's first arrival to the feed's, between arrivals, and to the end.
      const gap = Math.max(f.longestGap, (f.firstSeen ?? end) - scope.firstSeen, end - (f.lastSeen ?? end));
      f.intervalMs = this.intervalFor(feed, gap);
    }
  }

  private intervalFor(feed: string, longestGapMs: number): number {
    const configured = this.settings.intervalMinutes[feed];
    if (configured !== undefined) return configured * 60_000;
    return Math.max(this.settings.minIntervalMinutes * 60_000, GAP_FACTOR * longestGapMs);
  }
}

const minutes = (ms: number) => Math.round(ms / 60_000);
