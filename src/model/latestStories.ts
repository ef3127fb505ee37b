/**
 * The latest version of every story, as KQL's `arg_max(Version, *) by StoryId` sees them: what the
 * viewer, the replay summary, the report and the tests show.
 */
import type { Story } from './story.ts';

export class LatestStories {
  private readonly byId = new Map<string, Story>();

  /** Keeps each story's highest version. */
  keep(stories: Iterable<Story>): void {
    for (const s of stories) if ((this.byId.get(s.storyId)?.version ?? -1) < s.version) this.byId.set(s.storyId, s);
  }

  get(storyId: string): Story | undefined {
    return this.byId.get(storyId);
  }

  get size(): number {
    return this.byId.size;
  }

  /** Every story's latest version, merged ones included. */
  all(): Story[] {
    return [...this.byId.values()];
  }

  /** Stories that stand (not merged into another), highest risk first, then most recent. */
  live(): Story[] {
    return this.all()
      .filter((s) => s.status !== 'merged')
      .sort((a, b) => b.riskScore - a.riskScore || b.lastSeen - a.lastSeen || a.storyId.localeCompare(b.storyId));
  }

  /** As a map, for callers that look stories up by id. */
  asMap(): Map<string, Story> {
    return new Map(this.byId);
  }
}
