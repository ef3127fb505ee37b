/**
 * Stage ③ (stateful, light): "what does it mean across the cluster". Joins episodes by explained
 * links into connected components; a component with at least one signal is a story. Stories get
 * a deterministic id from their anchor signal and a content-derived version, so replays after a
 * crash repeat only identical rows.
 */
import type { Edge, Episode, KeyedEpisode } from '../model/episode.ts';
import type { Story, StoryStatus } from '../model/story.ts';
import { count, emptyReport, type BatchReport } from '../common/report.ts';
import type { SignalEngine } from '../signals/engine.ts';
import { buildStory } from './buildStory.ts';
import { anchorSignal, storyIdFor } from './storyIds.ts';
import { LinkIndex, type PromptLinkEntry } from './linkIndex.ts';
import { CredentialLinks, type CredentialSettings } from './credentialLinks.ts';
import { storySignals } from './storySignals.ts';
import { StoryVersions, type StoryState } from './storyVersions.ts';

export { STORY_UPDATE_INTERVAL_MS } from './storyVersions.ts';

/** How a story stage partition is configured (one instance per partition). */
export interface StoryStageOptions {
  signals: SignalEngine;
  allowedLatenessMs: number;
  /** An open story with no new evidence for this long (event time) is closed. */
  storyIdleMs: number;
  maxEpisodes: number;
  maxStories: number;
  /** Broadcast episodes form a story on their own only in their home partition. */
  partition: number;
  partitions: number;
  /** The cloud audit edges' settings (credentialLinks.ts); without them cloud events join no story. */
  credentials?: CredentialSettings;
  /** Told of a fault on one story (a bug): it is counted errored, the other stories go on. */
  onFault?: (error: unknown, episodeId: string) => void;
}

/** What one batch, tick or flush gives. */
export interface StoryStageOutput {
  /** Story versions to write; each carries only the evidence not written before under its id. */
  stories: Story[];
  report: BatchReport;
}

/** The state of a story partition, as JSON, tagged with the last offset folded in. */
export interface StorySnapshot {
  format: 'causeway.story-stage/1';
  watermark: number;
  lastOffset?: string;
  episodes: Episode[];
  promptLinks: PromptLinkEntry[];
  stories: [string, StoryState][];
  episodeStory: [string, string][];
}

/**
 * One partition of stage ③. The flow per batch: keep the newest version of each episode in the
 * link index, recompose the components that changed, and let versioning decide which story
 * versions (and merged-away stories) are written now.
 */
export class StoryStage {
  private readonly links: LinkIndex;
  private readonly versions: StoryVersions;
  private watermark = 0;
  /** Highest offset folded into this state (snapshot tag). */
  lastOffset: string | undefined;

  constructor(private readonly options: StoryStageOptions) {
    this.links = new LinkIndex(options.maxEpisodes, options.credentials && new CredentialLinks(options.credentials));
    this.versions = new StoryVersions(options.maxStories);
  }

  get stats(): { episodes: number; stories: number; evictions: number } {
    return {
      episodes: this.links.size,
      stories: this.versions.size,
      evictions: this.links.evictions + this.versions.evictions,
    };
  }

  process(batch: readonly KeyedEpisode[], offset?: string): StoryStageOutput {
    const report = emptyReport();
    const dirty = new Set<string>();
    for (const { episode } of batch) {
      const known = this.links.get(episode.id);
      if (known && known.version >= episode.version) {
        count(report, 'dropped', 'duplicate');
        continue;
      }
      if (episode.end > this.watermark) this.watermark = episode.end;
      this.links.put(episode, dirty);
      dirty.add(episode.id);
      count(report, 'delivered', 'ok');
    }
    if (offset !== undefined) this.lastOffset = offset;
    return { stories: this.emit(dirty, report), report };
  }

  /** Writes held versions that are due, closes stories idle (in event time) and forgets expired state. */
  tick(now: number): StoryStageOutput {
    if (now > this.watermark) this.watermark = now;
    const out: Story[] = this.versions.writePending(false, this.watermark, (id) => this.recompose(id));
    out.push(
      ...this.versions.closeIdle(this.watermark, this.options.storyIdleMs, (ids) => this.compose(ids, 'closed')),
    );
    this.expire();
    return { stories: out, report: emptyReport() };
  }

  /** End of input (replay): every held version is written. */
  flush(): StoryStageOutput {
    return {
      stories: this.versions.writePending(true, this.watermark, (id) => this.recompose(id)),
      report: emptyReport(),
    };
  }

  snapshot(): StorySnapshot {
    const { episodes, promptLinks } = this.links.snapshot();
    const { stories, episodeStory } = this.versions.snapshot();
    return {
      format: 'causeway.story-stage/1',
      watermark: this.watermark,
      lastOffset: this.lastOffset,
      episodes,
      promptLinks,
      stories,
      episodeStory,
    };
  }

  restore(s: StorySnapshot): void {
    if (s.format !== 'causeway.story-stage/1') throw new Error(`unknown story snapshot format ${String(s.format)}`);
    this.links.restore(s.episodes, s.promptLinks);
    this.versions.restore(s.stories, s.episodeStory);
    this.watermark = s.watermark;
    this.lastOffset = s.lastOffset;
  }

  /** Recomposes the components of changed episodes, each once, and writes what versioning allows. */
  private emit(dirty: Set<string>, report: BatchReport): Story[] {
    const out: Story[] = [];
    const done = new Set<string>();
    for (const id of [...dirty].sort()) {
      if (done.has(id) || !this.links.has(id)) continue;
      // One story's fault costs that story's version, not the batch and not the partition's state.
      try {
        const { ids, links } = this.links.component(id);
        for (const x of ids) done.add(x);
        const episodes = ids.map((x) => this.links.get(x)!);
        if (!this.ownsComponent(episodes)) continue;
        const story = this.compose(ids, 'open', links);
        if (!story) continue;
        const merged = this.versions.mergeAway(story, ids);
        const written = this.versions.write(story, ids, false, this.watermark);
        out.push(...merged);
        if (written) out.push(written, ...this.versions.tombstones(written, fragmentIds(episodes), this.watermark));
      } catch (e) {
        count(report, 'errored', 'stage-failed');
        this.options.onFault?.(e, id);
      }
    }
    return out;
  }

  /** The component of an episode as it is now, and its open story (if it has a signal). */
  private recompose(episodeId: string): { story: Story | undefined; ids: string[] } {
    const { ids, links } = this.links.component(episodeId);
    return { story: this.compose(ids, 'open', links), ids };
  }

  /** The story of these episodes, if any of them (or a story-scope rule over them) has a signal. */
  private compose(ids: string[], status: StoryStatus, links: Edge[] = []): Story | undefined {
    const episodes = ids.map((id) => this.links.get(id)).filter((e): e is Episode => !!e);
    const scoped = storySignals(episodes, this.options.signals);
    if (!episodes.some((e) => e.signals.length) && !scoped.length) return undefined;
    return buildStory({ episodes, links, storySignals: scoped, status });
  }

  /** A component made only of broadcast episodes belongs to one partition, so it is written once. */
  private ownsComponent(episodes: Episode[]): boolean {
    if (this.options.partitions <= 1 || episodes.some((e) => e.cluster !== '')) return true;
    const anchor = anchorSignal(episodes.flatMap((e) => e.signals));
    if (!anchor) return true;
    const id = storyIdFor(anchor);
    let h = 0;
    for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
    return h % this.options.partitions === this.options.partition;
  }

  /** Forgets episodes past the horizon that no open story holds, and closed or merged stories. */
  private expire(): void {
    const horizon = this.watermark - this.options.allowedLatenessMs - this.options.storyIdleMs;
    for (const ep of this.links.all()) {
      if (ep.end >= horizon || this.versions.inOpenStory(ep.id)) continue;
      this.links.remove(ep.id);
      this.versions.forgetEpisode(ep.id);
    }
    this.versions.expire(horizon);
  }
}

/** The ids each signal-bearing episode would have given a story of its own (its anchor's). */
function fragmentIds(episodes: readonly Episode[]): string[] {
  const ids: string[] = [];
  for (const e of episodes) {
    const anchor = anchorSignal(e.signals);
    if (anchor) ids.push(storyIdFor(anchor));
  }
  return ids;
}
