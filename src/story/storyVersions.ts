/**
 * Story versioning: when a new version of a story is written, held back, closed or merged away.
 * Versions are content-derived (twice the evidence + edges + signals; +1 for a closed or merged
 * version), so a replay after a crash writes only rows identical to ones already written, and
 * each version carries only the evidence not written before under its story id.
 */
import type { Story, StoryStatus } from '../model/story.ts';
import { BoundedMap } from '../common/boundedMap.ts';

/**
 * A story that only grows (more benign steps, no new signal, same score) is rewritten at most this
 * often (event time): each version carries the whole timeline and graph, so rewriting it per batch
 * would make the Log Analytics bill grow with the square of the story. Significant changes (new
 * signal, severity or score) are written at once; held versions are written on tick and flush.
 */
export const STORY_UPDATE_INTERVAL_MS = 60_000;

/** What the stage remembers of a story it has written. */
export interface StoryState {
  version: number;
  status: StoryStatus;
  lastSeen: number;
  content: number;
  /** Evidence ids of the latest written version. */
  emittedEvidence: string[];
  /** Evidence ids ever written under this story id (for retractions); absent in older snapshots. */
  writtenEvidence?: string[];
  episodeIds: string[];
  /** Event time of the last written version, and what made it significant. */
  emittedAt: number;
  signature: string;
  /** A newer version exists but was held back (content-only growth within the update interval). */
  pending: boolean;
}

/** A story as its episodes make it now, and those episodes. */
export interface Recomposed {
  story: Story | undefined;
  ids: string[];
}

/** The written stories of one partition and the story each episode last belonged to. */
export class StoryVersions {
  private stories: BoundedMap<string, StoryState>;
  private episodeStory = new Map<string, string>();

  constructor(private readonly maxStories: number) {
    this.stories = new BoundedMap(maxStories);
  }

  get size(): number {
    return this.stories.size;
  }

  /** Stories dropped at the cap. */
  get evictions(): number {
    return this.stories.evictions;
  }

  /**
   * Decides whether this version is written now (returned, with only the fresh evidence), held
   * (pending, written later unless `force`), or already written. `now` is the partition's event time.
   */
  write(story: Story, ids: string[], force: boolean, now: number): Story | undefined {
    const content = contentOf(story);
    const state = this.stories.get(story.storyId);
    this.claimEpisodes(story.storyId, ids, state?.episodeIds);
    const current = new Set(story.evidence.map((e) => e.evidenceId));
    // Evidence written before that no longer belongs (a late event moved a link): retracted.
    const retracted = (state?.writtenEvidence ?? state?.emittedEvidence ?? []).filter((id) => !current.has(id)).sort();
    const changed = state === undefined || state.content !== content || !sameIds(state.emittedEvidence, current);
    if (!changed) return undefined;
    // Versions are content-derived (2 × content) and never go back: a story whose content changed
    // other than by growing past its last version (it lost evidence, or grew back after a loss)
    // takes the next even number.
    const version = state ? Math.max(2 * content, state.version + 2 - (state.version % 2)) : 2 * content;

    const signature = `${story.severity}|${story.riskScore}|${story.signals.map((s) => s.id).join(',')}`;
    const significant = !state || state.status !== 'open' || state.signature !== signature;
    if (!force && !significant && now - state.emittedAt < STORY_UPDATE_INTERVAL_MS) {
      state.pending = true;
      state.episodeIds = ids;
      state.lastSeen = Math.max(state.lastSeen, story.lastSeen);
      return undefined;
    }
    const emitted = new Set(state?.emittedEvidence ?? []);
    const fresh = story.evidence.filter((e) => !emitted.has(e.evidenceId));
    const written = new Set([...(state?.writtenEvidence ?? state?.emittedEvidence ?? []), ...current]);
    this.stories.set(story.storyId, {
      version,
      status: 'open',
      lastSeen: story.lastSeen,
      content,
      emittedEvidence: [...current],
      writtenEvidence: [...written].slice(-MAX_WRITTEN_EVIDENCE),
      episodeIds: ids,
      emittedAt: now,
      signature,
      pending: false,
    });
    return { ...story, version, evidence: fresh, ...(retracted.length ? { retractedEvidenceIds: retracted } : {}) };
  }

  /** These episodes make the story now; episodes that left it no longer point at it. */
  private claimEpisodes(storyId: string, ids: readonly string[], before: readonly string[] = []): void {
    const now = new Set(ids);
    for (const x of before) if (!now.has(x) && this.episodeStory.get(x) === storyId) this.episodeStory.delete(x);
    for (const x of ids) this.episodeStory.set(x, storyId);
  }

  /**
   * When components join, the stories their episodes held before become `merged` into this one:
   * a version of each old story pointing at the new id (and the new story lists them).
   */
  mergeAway(story: Story, ids: string[]): Story[] {
    const out: Story[] = [];
    const previous = new Set(
      ids.map((x) => this.episodeStory.get(x)).filter((s): s is string => !!s && s !== story.storyId),
    );
    for (const old of [...previous].sort()) {
      const state = this.stories.get(old);
      if (!state || state.status === 'merged') continue;
      state.status = 'merged';
      state.pending = false;
      state.version = Math.max(state.version + 1, 2 * state.content + 1);
      story.mergedStoryIds.push(old);
      out.push({
        ...story,
        storyId: old,
        version: state.version,
        status: 'merged',
        mergedInto: story.storyId,
        evidence: [],
      });
    }
    story.mergedStoryIds.sort();
    return out;
  }

  /**
   * Writes held versions: those past the update interval, or all of them. Each is recomposed from
   * its first episode, as the component is now (episodes may have joined or left since).
   */
  writePending(all: boolean, now: number, recompose: (episodeId: string) => Recomposed): Story[] {
    const out: Story[] = [];
    for (const [storyId, state] of this.stories.toArray()) {
      if (!state.pending || state.status !== 'open' || (!all && now - state.emittedAt < STORY_UPDATE_INTERVAL_MS))
        continue;
      const { story, ids } = recompose(state.episodeIds[0]!);
      if (story?.storyId !== storyId) continue;
      const written = this.write(story, ids, true, now);
      if (written) out.push(written);
    }
    return out;
  }

  /**
   * The ids its episodes could have been written under on their own (each one's anchor), which this
   * partition has no record of, become `merged` into this story: a version of each pointing at it,
   * above any version the fragment can have had (its content is part of this story's). A process
   * that wrote a fragment and died before its snapshot leaves that row behind; the instance that
   * replays the episodes in other batches may join them before ever writing the fragment, and
   * without this the fragment would stay open in the tables for ever.
   */
  tombstones(story: Story, candidates: readonly string[], now: number): Story[] {
    const out: Story[] = [];
    const version = 2 * contentOf(story) + 1;
    for (const id of [...new Set(candidates)].sort()) {
      if (id === story.storyId || this.stories.has(id)) continue;
      this.stories.set(id, {
        version,
        status: 'merged',
        lastSeen: now,
        content: contentOf(story),
        emittedEvidence: [],
        episodeIds: [],
        emittedAt: now,
        signature: '',
        pending: false,
      });
      out.push({ ...story, storyId: id, version, status: 'merged', mergedInto: story.storyId, evidence: [] });
    }
    return out;
  }

  /**
   * Closes open stories idle (event time) for `idleMs`: the closed version is the full final
   * content (held growth included), built by `compose` from the story's episodes.
   */
  closeIdle(now: number, idleMs: number, compose: (episodeIds: string[]) => Story | undefined): Story[] {
    const out: Story[] = [];
    for (const [storyId, state] of this.stories.toArray()) {
      if (state.status !== 'open' || now - state.lastSeen < idleMs) continue;
      const story = compose(state.episodeIds);
      if (!story || story.storyId !== storyId) continue;
      const emitted = new Set(state.emittedEvidence);
      const current = new Set(story.evidence.map((e) => e.evidenceId));
      const retracted = (state.writtenEvidence ?? state.emittedEvidence).filter((id) => !current.has(id)).sort();
      state.status = 'closed';
      state.content = Math.max(state.content, contentOf(story));
      state.version = Math.max(2 * state.content + 1, state.version + 1);
      state.pending = false;
      state.emittedEvidence = [...current];
      state.writtenEvidence = [...new Set([...(state.writtenEvidence ?? []), ...current])].slice(-MAX_WRITTEN_EVIDENCE);
      out.push({
        ...story,
        version: state.version,
        evidence: story.evidence.filter((e) => !emitted.has(e.evidenceId)),
        ...(retracted.length ? { retractedEvidenceIds: retracted } : {}),
      });
    }
    return out;
  }

  /** True while the episode belongs to an open story (its episodes are kept). */
  inOpenStory(episodeId: string): boolean {
    const story = this.episodeStory.get(episodeId);
    const state = story ? this.stories.get(story) : undefined;
    return state !== undefined && state.status === 'open';
  }

  forgetEpisode(episodeId: string): void {
    this.episodeStory.delete(episodeId);
  }

  /** Forgets closed and merged stories last seen before `horizon`. */
  expire(horizon: number): void {
    for (const [id, state] of this.stories.toArray())
      if (state.status !== 'open' && state.lastSeen < horizon) this.stories.delete(id);
  }

  snapshot(): { stories: [string, StoryState][]; episodeStory: [string, string][] } {
    return { stories: this.stories.toArray(), episodeStory: [...this.episodeStory] };
  }

  restore(stories: readonly [string, StoryState][], episodeStory: readonly [string, string][]): void {
    this.stories = new BoundedMap(this.maxStories);
    for (const [id, st] of stories) this.stories.set(id, st);
    this.episodeStory = new Map(episodeStory);
  }
}

function sameIds(before: readonly string[], now: ReadonlySet<string>): boolean {
  return before.length === now.size && before.every((id) => now.has(id));
}

/** Evidence ids remembered per story for retractions (a story's evidence is bounded well below this). */
const MAX_WRITTEN_EVIDENCE = 8192;

/** The size of a story's content: what a version number counts (before the row budget summarised it). */
function contentOf(story: Story): number {
  return story.totals.events + story.totals.edges + story.totals.signals;
}
