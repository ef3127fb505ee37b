/**
 * The episodes a story partition holds, indexed by the explained links that join them (trace,
 * MCP session, conversation, vendor alert id, shared signal; see links.ts) plus the best agent
 * turn for each prompt alert. A story is a connected component of this index.
 *
 * Precision (DESIGN §4.1): a link joins two episodes only where the attack's causal neighbourhood
 * reaches. An episode is *active* when it holds a Medium+ signal, is a prompt alert, or is the turn
 * a prompt alert matched (a Low signal is drift, not an attack step). Trace context, a shared
 * vendor alert, a shared signal or a shared process join an episode to one that has any signal (a
 * turn to its tool calls); an MCP session or a conversation joins two active episodes only (the
 * steps of one slow attack), never an agent's benign history; a tool call and a signal on the process
 * that served it join when both hold signals (two calls the same server served do not); and an active turn takes in the one
 * turn of its conversation that led into it (`led-into`), which joins nothing further.
 */
import type { Edge, Episode } from '../model/episode.ts';
import { SEVERITY_RANK } from '../model/event.ts';
import { BoundedMap } from '../common/boundedMap.ts';
import { edgeForKey, linkKeys, promptMatch, type Link } from './links.ts';
import type { CredentialLinks } from './credentialLinks.ts';

/** Prompt links in snapshots: [prompt-alert episode, agent-turn episode, detail]. */
export type PromptLinkEntry = [string, string, string];

/** Episodes by id, with the link keys and prompt links that join them into components. */
export class LinkIndex {
  private episodes: BoundedMap<string, Episode>;
  private byKey = new Map<string, Set<string>>();
  /** prompt-alert episode → [agent-turn episode, detail]: the best match only. */
  private promptLinks = new Map<string, [string, string]>();
  /** Turns a prompt alert matched (the values of promptLinks), for `active`. */
  private prompted = new Map<string, number>();

  /** `credentials`: the edges that continue a story into the cloud audit logs (credentialLinks.ts). */
  constructor(
    private readonly maxEpisodes: number,
    private readonly credentials?: CredentialLinks,
  ) {
    this.episodes = new BoundedMap(maxEpisodes, (id, ep) => this.unindex(id, ep));
  }

  get size(): number {
    return this.episodes.size;
  }

  /** Episodes dropped at the cap. */
  get evictions(): number {
    return this.episodes.evictions;
  }

  get(id: string): Episode | undefined {
    return this.episodes.get(id);
  }

  has(id: string): boolean {
    return this.episodes.has(id);
  }

  /** Oldest first. */
  all(): Episode[] {
    return this.episodes.toArray().map(([, e]) => e);
  }

  /**
   * Adds an episode or replaces its older version. Episodes whose component may change with it
   * (they share a key, or a prompt link moved) are added to `dirty`.
   */
  put(episode: Episode, dirty: Set<string>): void {
    const known = this.episodes.get(episode.id);
    if (known) this.unindex(known.id, known);
    this.episodes.set(episode.id, episode);
    for (const key of this.keysOf(episode)) {
      let set = this.byKey.get(key);
      if (!set) this.byKey.set(key, (set = new Set()));
      for (const other of set) dirty.add(other);
      set.add(episode.id);
    }
    // prompted: re-score the prompt alerts this episode could match, or the turns this alert could.
    if (episode.kind === 'prompt-alert') this.bestTurn(episode, dirty);
    if (episode.kind === 'agent-turn')
      for (const alert of this.episodes.values()) if (alert.kind === 'prompt-alert') this.bestTurn(alert, dirty);
  }

  /** Forgets an episode, its keys and its prompt link. */
  remove(id: string): void {
    const ep = this.episodes.get(id);
    if (!ep) return;
    this.episodes.delete(id);
    this.unindex(id, ep);
    const link = this.promptLinks.get(id);
    if (link) this.unprompt(link[0]);
    this.promptLinks.delete(id);
  }

  private unprompt(turnId: string): void {
    const n = (this.prompted.get(turnId) ?? 0) - 1;
    if (n > 0) this.prompted.set(turnId, n);
    else this.prompted.delete(turnId);
  }

  /**
   * Holds a Medium+ signal, is a prompt alert, or is the turn a prompt alert matched. Low signals
   * (drift while a profile learns, a new destination) make a story of their own, but do not reach
   * across sessions or pull in a turn's tool calls.
   */
  private active(ep: Episode): boolean {
    return (
      ep.kind === 'prompt-alert' ||
      this.prompted.has(ep.id) ||
      ep.signals.some((s) => SEVERITY_RANK[s.severity] >= SEVERITY_RANK.Medium)
    );
  }

  /** The connected component of an episode (ids sorted) and the event-level edges that join it. */
  component(startId: string): { ids: string[]; links: Edge[] } {
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

  snapshot(): { episodes: Episode[]; promptLinks: PromptLinkEntry[] } {
    return { episodes: this.all(), promptLinks: [...this.promptLinks].map(([a, [t, d]]) => [a, t, d]) };
  }

  /** Replaces the contents with a snapshot's (prompt links as they were, not re-scored). */
  restore(episodes: readonly Episode[], promptLinks: readonly PromptLinkEntry[]): void {
    this.episodes = new BoundedMap(this.maxEpisodes, (id, ep) => this.unindex(id, ep));
    this.byKey = new Map();
    for (const ep of episodes) {
      this.episodes.set(ep.id, ep);
      for (const key of this.keysOf(ep)) {
        let set = this.byKey.get(key);
        if (!set) this.byKey.set(key, (set = new Set()));
        set.add(ep.id);
      }
    }
    this.promptLinks = new Map(promptLinks.map(([a, t, d]) => [a, [t, d]]));
    this.prompted = new Map();
    for (const [, [turn]] of this.promptLinks) this.prompted.set(turn, (this.prompted.get(turn) ?? 0) + 1);
  }

  /** Links the prompt alert to its best-matching turn; both ends (and a turn it leaves) are dirty. */
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
      if (current) {
        dirty.add(current[0]);
        this.unprompt(current[0]);
      }
      this.promptLinks.set(alert.id, [best.id, best.detail]);
      this.prompted.set(best.id, (this.prompted.get(best.id) ?? 0) + 1);
      dirty.add(best.id);
      dirty.add(alert.id);
    }
  }

  /** The explained-link keys and the credential keys of an episode. */
  private keysOf(ep: Episode): string[] {
    return this.credentials ? [...linkKeys(ep), ...this.credentials.keys(ep)] : linkKeys(ep);
  }

  private unindex(id: string, ep: Episode): void {
    for (const key of this.keysOf(ep)) {
      const set = this.byKey.get(key);
      set?.delete(id);
      if (set?.size === 0) this.byKey.delete(key);
    }
  }

  /** Neighbours of an episode with the link that explains each (see the class comment); `cloud`: with credential edges. */
  private neighbours(ep: Episode, cloud = true): [Episode, Link][] {
    const out: [Episode, Link][] = [];
    const active = this.active(ep);
    const signalled = active || ep.signals.length > 0;
    for (const key of linkKeys(ep)) {
      const both = key.startsWith('session:') || key.startsWith('conversation:');
      const served = key.startsWith('server:');
      if ((both && !active) || (served && !ep.signals.length)) continue;
      for (const id of this.byKey.get(key) ?? []) {
        const other = id === ep.id ? undefined : this.episodes.get(id);
        if (!other) continue;
        const joins = both
          ? this.active(other)
          : served
            ? other.signals.length > 0 && other.kind !== ep.kind
            : signalled || other.signals.length > 0 || this.active(other);
        if (joins) out.push([other, edgeForKey(key, ep, other)]);
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
      out.push(...this.ledInto(ep, active));
    }
    if (cloud && this.credentials) out.push(...this.credentials.neighbours(ep, this.credentialView));
    return out;
  }

  /** What credential edges may ask: episodes by key, and a story's reach through the other links. */
  private readonly credentialView = {
    withKey: (key: string): Episode[] =>
      [...(this.byKey.get(key) ?? [])].map((id) => this.episodes.get(id)).filter((e): e is Episode => !!e),
    reach: (start: Episode): Episode[] => {
      const seen = new Map([[start.id, start]]);
      const queue = [start];
      while (queue.length)
        for (const [other] of this.neighbours(queue.shift()!, false))
          if (!seen.has(other.id)) {
            seen.set(other.id, other);
            queue.push(other);
          }
      return [...seen.values()];
    },
  };

  /**
   * led-into: an active turn and the turn of its conversation just before it (the one that led
   * into it: the injected page was read there). The earlier turn joins nothing further.
   */
  private ledInto(turn: Episode, active: boolean): [Episode, Link][] {
    const out: [Episode, Link][] = [];
    for (const key of linkKeys(turn)) {
      if (!key.startsWith('conversation:')) continue;
      const turns = [...(this.byKey.get(key) ?? [])]
        .map((id) => this.episodes.get(id))
        .filter((e): e is Episode => e?.kind === 'agent-turn');
      const before = (s: Episode) =>
        turns
          .filter((t) => t.id !== s.id && (t.end < s.start || (t.end === s.start && t.id < s.id)))
          .sort((a, b) => b.end - a.end || (a.id < b.id ? 1 : -1))[0];
      if (active) {
        const previous = before(turn);
        if (previous && !this.active(previous)) out.push([previous, ledIntoLink(previous, turn)]);
      }
      if (!active)
        for (const s of turns)
          if (s.id !== turn.id && this.active(s) && before(s)?.id === turn.id) out.push([s, ledIntoLink(turn, s)]);
    }
    return out;
  }
}

/** led-into: from the earlier turn's agent invocation to the later one's. */
function ledIntoLink(earlier: Episode, later: Episode): Link {
  const from = earlier.evidence.find((e) => e.kind === 'agent.invoke') ?? earlier.evidence[0];
  const to = later.evidence.find((e) => e.kind === 'agent.invoke') ?? later.evidence[0];
  const detail = 'the turn of the same conversation that led into it';
  return {
    reason: 'led-into',
    detail,
    edge: from && to ? { from: from.id, to: to.id, reason: 'led-into', detail } : undefined,
  };
}

/** prompted: from the prompt alert's prompt event to the turn's agent invocation. */
function promptLink(alert: Episode, turn: Episode, detail: string): Link {
  const from = alert.evidence.find((e) => e.layer === 'prompt') ?? alert.evidence[0];
  const to = turn.evidence.find((e) => e.kind === 'agent.invoke') ?? turn.evidence[0];
  return {
    reason: 'prompted',
    detail,
    edge: from && to ? { from: from.id, to: to.id, reason: 'prompted', detail } : undefined,
  };
}
