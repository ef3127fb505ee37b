/**
 * What a story partition keeps besides its stories, in its own state and snapshot: the feed tracker
 * (feedTracker.ts: which feeds went silent) and the cloud usage profiles (profiles/cloudUsage.ts:
 * what each service account and workload identity was seen doing). Both read what the story
 * partitions receive anyway: the feed beats stage ① sends keyed by scope, and the cloud events it
 * routes there. Kept apart from the story stage, so correlation never depends on them.
 */
import type { CausewayConfig } from '../config/config.ts';
import { BROADCAST, type KeyedEpisode } from '../model/episode.ts';
import type { FeedStatus, KeyedFeedBeats } from '../model/feedBeat.ts';
import { CloudUsageBook, type CloudUsageSnapshot } from '../profiles/cloudUsage.ts';
import { cloudUsageRow, feedRow } from '../sinks/rows.ts';
import type { Row } from '../sinks/tables.ts';
import { FeedTracker, type FeedTrackerSnapshot } from './feedTracker.ts';

/** A story partition's data messages: episodes, and the feed beats riding with them. */
export type StoryMessage = KeyedEpisode | KeyedFeedBeats;

/** The observers' part of a story partition's snapshot. */
export interface StoryObserversSnapshot {
  feeds: FeedTrackerSnapshot;
  cloudUsage: CloudUsageSnapshot;
}

/** Cloud event ids recently counted, so a write wired in both kube-audit categories counts once (in memory). */
const RECENT_IDS = 4096;

export class StoryObservers {
  readonly feeds: FeedTracker;
  readonly usage: CloudUsageBook;
  private readonly recent = new Set<string>();

  constructor(config: CausewayConfig, partition: number) {
    this.feeds = new FeedTracker(config.feeds);
    this.usage = new CloudUsageBook(partition, config.correlation.storyPartitions);
  }

  /** Folds in a run of data messages and hands on the episodes, in order, for the story stage. */
  take(messages: readonly StoryMessage[]): KeyedEpisode[] {
    const episodes: KeyedEpisode[] = [];
    for (const m of messages) {
      if ('feedBeats' in m) {
        this.feeds.observe(m.feedBeats);
        continue;
      }
      episodes.push(m);
      for (const e of m.episode.evidence) {
        if (e.layer !== 'cloud' || this.recent.has(e.id)) continue;
        if (this.recent.size >= RECENT_IDS) this.recent.clear();
        this.recent.add(e.id);
        this.usage.observe(e, m.key === BROADCAST);
      }
    }
    return episodes;
  }

  /** The timer: feeds quiet past their interval become silent. */
  tick(now: number): void {
    this.feeds.tick(now);
  }

  /** Rows due: feed transitions, and usage profiles that grew (every changed one at end of input). */
  rows(host: string, endOfInput: boolean): { pipeline: Row[]; profiles: Row[] } {
    return {
      pipeline: this.feeds.drain().map((t) => feedRow(t, host)),
      profiles: this.usage.due(endOfInput).map(cloudUsageRow),
    };
  }

  status(): FeedStatus[] {
    return this.feeds.status();
  }

  snapshot(): StoryObserversSnapshot {
    return { feeds: this.feeds.snapshot(), cloudUsage: this.usage.snapshot() };
  }

  restore(s: StoryObserversSnapshot): void {
    this.feeds.restore(s.feeds);
    this.usage.restore(s.cloudUsage);
  }
}
