/**
 * Stage ③ (stateful, light): "what does it mean across the cluster". Joins episodes by explained
 * links into connected components; a component with at least one signal is a story. Stories get
 * a deterministic id from their anchor signal and a content-derived version, so replays after a
 * crash repeat only identical rows.
 */
import type { Edge, Episode, KeyedEpisode, Signal } from '../model/episode.ts';
import type { RuntimeEvent } from '../model/event.ts';
import type { Story, StoryStatus } from '../model/story.ts';
import { count, emptyReport, type BatchReport } from '../common/report.ts';
import { workloadKey } from '../model/workloadKey.ts';
import type { SignalEngine, SignalState } from '../signals/engine.ts';
import { BoundedMap } from '../common/boundedMap.ts';
import { anchorSignal, buildStory, storyIdFor } from './buildStory.ts';
import { edgeForKey, linkKeys, promptMatch, type Link } from './links.ts';

export interface StoryStageOptions {
  signals: SignalEngine;
  allowedLatenessMs: number;
  storyIdleMs: number;
  maxEpisodes: number;
  maxStories: number;
  /** Broadcast episodes form a story on their own only in their home partition. */
  partition: number;
  partitions: number;
}

export interface StoryStageOutput {
  /** Story versions to write; each carries only the evidence not written before under its id. */
  stories: Story[];
  report: BatchReport;
}

interface StoryState {
  version: number;
  status: StoryStatus;
  lastSeen: number;
  content: number;
  emittedEvidence: string[];
  episodeIds: string[];
  /** Event time of the last written version, and what made it significant. */
  emittedAt: number;
  signature: string;
  /** A newer version exists but was held back (content-only growth within the update interval). */
  pending: boolean;
}

/**
 * A story that only grows (more benign steps, no new signal, same score) is rewritten at most this
 * often (event time): each version carries the whole timeline and graph, so rewriting it per batch
 * would make the Log Analytics bill grow with the square of the story. Significant changes (new
 * signal, severity or score) are written at once; held versions are written on tick and flush.
 */
export const STORY_UPDATE_INTERVAL_MS = 60_000;

export interface StorySnapshot {
  format: 'causeway.story-stage/1';
  watermark: number;
  lastOffset?: string;
  episodes: Episode[];
  promptLinks: [string, string, string][];
  stories: [string, StoryState][];
  episodeStory: [string, string][];
}

export class StoryStage {
  private episodes: BoundedMap<string, Episode>;
  private byKey = new Map<string, Set<string>>();
  /** prompt-alert episode → [agent-turn episode, detail]: the best match only. */
  private promptLinks = new Map<string, [string, string]>();
  private stories: BoundedMap<string, StoryState>;
  private episodeStory = new Map<string, string>();
  private watermark = 0;
  lastOffset: string | undefined;

  constructor(private readonly options: StoryStageOptions) {
    this.episodes = new BoundedMap(options.maxEpisodes, (id, ep) => this.unindex(id, ep));
    this.stories = new BoundedMap(options.maxStories);
  }

  get stats(): { episodes: number; stories: number; evictions: number } {
    return {
      episodes: this.episodes.size,
      stories: this.stories.size,
      evictions: this.episodes.evictions + this.stories.evictions,
    };
  }

  process(batch: readonly KeyedEpisode[], offset?: string): StoryStageOutput {
    const report = emptyReport();
    const dirty = new Set<string>();
    for (const { episode } of batch) {
      const known = this.episodes.get(episode.id);
      if (known && known.version >= episode.version) {
        count(report, 'dropped', 'duplicate');
        continue;
      }
      if (episode.end > this.watermark) this.watermark = episode.end;
      if (known) this.unindex(known.id, known);
      this.episodes.set(episode.id, episode);
      this.index(episode, dirty);
      dirty.add(episode.id);
      count(report, 'delivered', 'ok');
    }
    if (offset !== undefined) this.lastOffset = offset;
    return { stories: this.emit(dirty), report };
  }

  /** Closes stories idle (in event time) past the idle timeout and forgets expired state. */
  tick(now: number): StoryStageOutput {
    if (now > this.watermark) this.watermark = now;
    const out: Story[] = this.writePending(false);
    for (const [storyId, state] of this.stories.toArray()) {
      if (state.status !== 'open' || this.watermark - state.lastSeen < this.options.storyIdleMs) continue;
      const story = this.compose(state.episodeIds, 'closed');
      if (!story || story.storyId !== storyId) continue;
      // The closed version is the full final content (held growth included).
      const content = story.evidence.length + story.graph.edges.length + story.signals.length;
      const emitted = new Set(state.emittedEvidence);
      state.status = 'closed';
      state.content = Math.max(state.content, content);
      state.version = 2 * state.content + 1;
      state.pending = false;
      state.emittedEvidence = story.evidence.map((e) => e.evidenceId);
      out.push({
        ...story,
        version: state.version,
        evidence: story.evidence.filter((e) => !emitted.has(e.evidenceId)),
      });
    }
    this.expire();
    return { stories: out, report: emptyReport() };
  }

  private index(ep: Episode, dirty: Set<string>): void {
    for (const key of linkKeys(ep)) {
      let set = this.byKey.get(key);
      if (!set) this.byKey.set(key, (set = new Set()));
      for (const other of set) dirty.add(other);
      set.add(ep.id);
    }
    // prompted: re-score the prompt alerts this episode could match, or the turns this alert could.
    if (ep.kind === 'prompt-alert') this.bestTurn(ep, dirty);
    if (ep.kind === 'agent-turn')
      for (const alert of this.episodes.values()) if (alert.kind === 'prompt-alert') this.bestTurn(alert, dirty);
  }

  private bestTurn(alert: Episode, dirty: Set<string>): void {
    let best: { id: string; score: number; distance: number; detail: string } | undefined;
    for (const turn of this.episodes.values()) {
      const m = turn.kind === 'agent-turn' ? promptMatch(alert, turn) : undefined;
      if (!m) continue;
      if (
        !best ||
        m.score > best.score ||
        (m.score === best.score && (m.distance < best.distance || (m.distance === best.distance && turn.id < best.id)))
      )
        best = { id: turn.id, ...m };
    }
    const current = this.promptLinks.get(alert.id);
    if (best && current?.[0] !== best.id) {
      if (current) dirty.add(current[0]);
      this.promptLinks.set(alert.id, [best.id, best.detail]);
      dirty.add(best.id);
      dirty.add(alert.id);
    }
  }

  private unindex(id: string, ep: Episode): void {
    for (const key of linkKeys(ep)) {
      const set = this.byKey.get(key);
      set?.delete(id);
      if (set?.size === 0) this.byKey.delete(key);
    }
  }

  /** Neighbours of an episode with the link that explains each. */
  private neighbours(ep: Episode): [Episode, Link][] {
    const out: [Episode, Link][] = [];
    for (const key of linkKeys(ep)) {
      for (const id of this.byKey.get(key) ?? []) {
        const other = id === ep.id ? undefined : this.episodes.get(id);
        if (other) out.push([other, edgeForKey(key, ep, other)]);
      }
    }
    const prompted = this.promptLinks.get(ep.id);
    if (prompted) {
      const turn = this.episodes.get(prompted[0]);
      if (turn) out.push([turn, promptLink(ep, turn, prompted[1])]);
    }
    if (ep.kind === 'agent-turn') {
      for (const [alertId, [turnId, detail]] of this.promptLinks) {
        const alert = turnId === ep.id ? this.episodes.get(alertId) : undefined;
        if (alert) out.push([alert, promptLink(alert, ep, detail)]);
      }
    }
    return out;
  }

  private component(startId: string): { ids: string[]; links: Edge[] } {
    const seen = new Set<string>([startId]);
    const queue = [startId];
    const links: Edge[] = [];
    while (queue.length) {
      const ep = this.episodes.get(queue.shift()!);
      if (!ep) continue;
      for (const [other, link] of this.neighbours(ep)) {
        if (link.edge) links.push(link.edge);
        if (!seen.has(other.id)) {
          seen.add(other.id);
          queue.push(other.id);
        }
      }
    }
    return { ids: [...seen].sort(), links };
  }

  private compose(ids: string[], status: StoryStatus, links: Edge[] = []): Story | undefined {
    const episodes = ids.map((id) => this.episodes.get(id)).filter((e): e is Episode => !!e);
    if (!episodes.some((e) => e.signals.length) && !this.storySignals(episodes).length) return undefined;
    return buildStory({ episodes, links, storySignals: this.storySignals(episodes), status });
  }

  private emit(dirty: Set<string>): Story[] {
    const out: Story[] = [];
    const done = new Set<string>();
    for (const id of [...dirty].sort()) {
      if (done.has(id) || !this.episodes.has(id)) continue;
      const { ids, links } = this.component(id);
      for (const x of ids) done.add(x);
      const episodes = ids.map((x) => this.episodes.get(x)!);
      if (!this.ownsComponent(episodes)) continue;
      const story = this.compose(ids, 'open', links);
      if (!story) continue;
      out.push(...this.mergeAway(story, ids));
      const written = this.write(story, ids, false);
      if (written) out.push(written);
    }
    return out;
  }

  /** Decides whether this version is written now, held (pending), or already written. */
  private write(story: Story, ids: string[], force: boolean): Story | undefined {
    const content = story.evidence.length + story.graph.edges.length + story.signals.length;
    const state = this.stories.get(story.storyId);
    const version = 2 * content;
    for (const x of ids) this.episodeStory.set(x, story.storyId);
    if (state && version <= state.version && state.status !== 'closed') return undefined;
    if (state && state.status === 'closed' && content <= state.content) return undefined;
    const signature = `${story.severity}|${story.riskScore}|${story.signals.map((s) => s.id).join(',')}`;
    const significant = !state || state.status !== 'open' || state.signature !== signature;
    if (!force && !significant && this.watermark - state.emittedAt < STORY_UPDATE_INTERVAL_MS) {
      state.pending = true;
      state.episodeIds = ids;
      state.lastSeen = Math.max(state.lastSeen, story.lastSeen);
      return undefined;
    }
    const emitted = new Set(state?.emittedEvidence ?? []);
    const fresh = story.evidence.filter((e) => !emitted.has(e.evidenceId));
    this.stories.set(story.storyId, {
      version,
      status: 'open',
      lastSeen: story.lastSeen,
      content,
      emittedEvidence: story.evidence.map((e) => e.evidenceId),
      episodeIds: ids,
      emittedAt: this.watermark,
      signature,
      pending: false,
    });
    return { ...story, version, evidence: fresh };
  }

  /** Writes held versions: those past the update interval on tick, all of them at flush. */
  private writePending(all: boolean): Story[] {
    const out: Story[] = [];
    for (const [storyId, state] of this.stories.toArray()) {
      if (
        !state.pending ||
        state.status !== 'open' ||
        (!all && this.watermark - state.emittedAt < STORY_UPDATE_INTERVAL_MS)
      )
        continue;
      // The component as it is now: episodes may have joined (or left for a better match) since.
      const { ids, links } = this.component(state.episodeIds[0]!);
      const story = this.compose(ids, 'open', links);
      if (story?.storyId !== storyId) continue;
      const written = this.write(story, ids, true);
      if (written) out.push(written);
    }
    return out;
  }

  /** End of input (replay): every held version is written. */
  flush(): StoryStageOutput {
    return { stories: this.writePending(true), report: emptyReport() };
  }

  /** When components join, the stories they held before become `merged` into the new one. */
  private mergeAway(story: Story, ids: string[]): Story[] {
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

  /** Story-scope rules (e.g. credentials read in one workload, egress from another). */
  private storySignals(episodes: Episode[]): Signal[] {
    const rules = this.options.signals.storyRules;
    if (!rules.length) return [];
    const events = new Map<string, RuntimeEvent>();
    const tagged: { tag: string; time: number; eventId: string; workload: string }[] = [];
    for (const ep of episodes) {
      for (const e of ep.evidence) events.set(e.id, e);
      for (const s of ep.signals)
        for (const tag of this.options.signals.tagsByRule.get(s.ruleId) ?? [])
          tagged.push({ tag, time: s.time, eventId: s.eventId, workload: ep.workloadKey });
    }
    if (!tagged.length) return [];
    const out: Signal[] = [];
    for (const event of events.values()) {
      const state: SignalState = {
        firstSeen: () => false,
        toolJump: () => undefined,
        taggedBefore: (tags, withinMs, e) => {
          const own = workloadKey(e.workload);
          const hit = tagged.find(
            (t) => tags.includes(t.tag) && t.workload !== own && t.time <= e.time && e.time - t.time <= withinMs,
          );
          return hit ? { eventId: hit.eventId, tag: hit.tag } : undefined;
        },
      };
      for (const rule of rules) {
        const s = this.options.signals.evaluateStoryRule(rule, event, state);
        if (s) out.push(s);
      }
    }
    return out;
  }

  private expire(): void {
    const horizon = this.watermark - this.options.allowedLatenessMs - this.options.storyIdleMs;
    for (const [id, ep] of this.episodes.toArray()) {
      if (ep.end >= horizon) continue;
      const story = this.episodeStory.get(id);
      const state = story ? this.stories.get(story) : undefined;
      if (state && state.status === 'open') continue;
      this.episodes.delete(id);
      this.unindex(id, ep);
      this.episodeStory.delete(id);
      this.promptLinks.delete(id);
    }
    for (const [id, state] of this.stories.toArray())
      if (state.status !== 'open' && state.lastSeen < horizon) this.stories.delete(id);
  }

  snapshot(): StorySnapshot {
    return {
      format: 'causeway.story-stage/1',
      watermark: this.watermark,
      lastOffset: this.lastOffset,
      episodes: this.episodes.toArray().map(([, e]) => e),
      promptLinks: [...this.promptLinks].map(([a, [t, d]]) => [a, t, d]),
      stories: this.stories.toArray(),
      episodeStory: [...this.episodeStory],
    };
  }

  restore(s: StorySnapshot): void {
    if (s.format !== 'causeway.story-stage/1') throw new Error(`unknown story snapshot format ${String(s.format)}`);
    this.episodes = new BoundedMap(this.options.maxEpisodes, (id, ep) => this.unindex(id, ep));
    this.byKey = new Map();
    for (const ep of s.episodes) {
      this.episodes.set(ep.id, ep);
      for (const key of linkKeys(ep)) {
        let set = this.byKey.get(key);
        if (!set) this.byKey.set(key, (set = new Set()));
        set.add(ep.id);
      }
    }
    this.promptLinks = new Map(s.promptLinks.map(([a, t, d]) => [a, [t, d]]));
    this.stories = new BoundedMap(this.options.maxStories);
    for (const [id, st] of s.stories) this.stories.set(id, st);
    this.episodeStory = new Map(s.episodeStory);
    this.watermark = s.watermark;
    this.lastOffset = s.lastOffset;
  }
}

function promptLink(alert: Episode, turn: Episode, detail: string): Link {
  const from = alert.evidence.find((e) => e.layer === 'prompt') ?? alert.evidence[0];
  const to = turn.evidence.find((e) => e.kind === 'agent.invoke') ?? turn.evidence[0];
  return {
    reason: 'prompted',
    detail,
    edge: from && to ? { from: from.id, to: to.id, reason: 'prompted', detail } : undefined,
  };
}
