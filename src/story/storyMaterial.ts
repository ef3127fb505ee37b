/**
 * The material of a story: the events, signals and edges of its episodes (and the links between
 * them), each once and in a deterministic order. A hammered story is rebuilt every version from
 * hundreds of thousands of the same objects, so this avoids work the episodes already did: lists
 * that arrive in order are not sorted again, and edge keys are remembered per edge object.
 */
import type { Edge, Episode, Signal } from '../model/episode.ts';
import type { RuntimeEvent } from '../model/event.ts';

/** A story's events, signals and edges, deduplicated and ordered. */
export interface StoryMaterial {
  events: Map<string, RuntimeEvent>;
  /** By time, then id. */
  evidence: RuntimeEvent[];
  /** By time, then id. */
  signals: Signal[];
  /** Edges between the story's events, by cause + effect + reason. */
  edges: Edge[];
  /** Event id → the rule ids raised on it. */
  signalsByEvent: Map<string, string[]>;
}

const byTimeThenId = (a: { time: number; id: string }, b: { time: number; id: string }) =>
  a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The order of edges (kept from before the budget so graphs keep their order) and their identity. */
const edgeKeys = new WeakMap<Edge, { order: string; id: string }>();
function keysOf(e: Edge): { order: string; id: string } {
  let k = edgeKeys.get(e);
  if (!k) edgeKeys.set(e, (k = { order: e.from + e.to + e.reason, id: `${e.from}>${e.to}>${e.reason}` }));
  return k;
}

/** Gathers the material of these episodes, the story-scope signals and the cross-episode links. */
export function storyMaterial(
  episodes: readonly Episode[],
  links: readonly Edge[],
  storySignals: readonly Signal[],
): StoryMaterial {
  const events = new Map<string, RuntimeEvent>();
  const signals = new Map<string, Signal>();
  const edges = new Map<string, Edge>();
  for (const ep of episodes) {
    for (const e of ep.evidence) events.set(e.id, e);
    for (const s of ep.signals) signals.set(s.id, s);
    for (const e of ep.edges) edges.set(keysOf(e).id, e);
  }
  for (const s of storySignals) signals.set(s.id, s);
  for (const e of links) {
    const from = events.get(e.from);
    const to = events.get(e.to);
    if (!from || !to) continue;
    // same-session is symmetric: one edge per pair, from the earlier event to the later.
    const edge =
      e.reason === 'same-session' && (to.time < from.time || (to.time === from.time && e.to < e.from))
        ? { ...e, from: e.to, to: e.from }
        : e;
    edges.set(keysOf(edge).id, edge);
  }
  const signalList = sortedIfNeeded([...signals.values()], byTimeThenId);
  const edgeList = sortedIfNeeded(
    [...edges.values()].filter((e) => events.has(e.from) && events.has(e.to)),
    (a, b) => {
      const [x, y] = [keysOf(a).order, keysOf(b).order];
      return x < y ? -1 : x > y ? 1 : 0;
    },
  );
  const signalsByEvent = new Map<string, string[]>();
  for (const s of signalList) {
    const list = signalsByEvent.get(s.eventId);
    if (list) list.push(s.ruleId);
    else signalsByEvent.set(s.eventId, [s.ruleId]);
  }
  return {
    events,
    evidence: sortedIfNeeded([...events.values()], byTimeThenId),
    signals: signalList,
    edges: edgeList,
    signalsByEvent,
  };
}

/** Sorts in place unless the list is already in order (one pass instead of n log n comparisons). */
function sortedIfNeeded<T>(list: T[], compare: (a: T, b: T) => number): T[] {
  for (let i = 1; i < list.length; i++) if (compare(list[i - 1]!, list[i]!) > 0) return list.sort(compare);
  return list;
}
