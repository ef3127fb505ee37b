/**
 * Walking a story's edges backwards, from effects to their causes, for stories of hundreds of
 * thousands of edges (a hammered story): the attack path and the skeleton the row budget keeps.
 */
import type { Edge } from '../model/episode.ts';

/**
 * Edges into each event (same-session is context, not cause), as linked lists over the edge array:
 * one map entry per event and no array per event, for stories of hundreds of thousands of edges.
 */
export class IncomingEdges {
  private readonly head = new Map<string, number>();
  private readonly next: Int32Array;
  constructor(private readonly edges: readonly Edge[]) {
    this.next = new Int32Array(edges.length).fill(-1);
    edges.forEach((e, i) => {
      if (e.reason === 'same-session') return;
      const h = this.head.get(e.to);
      if (h !== undefined) this.next[i] = h;
      this.head.set(e.to, i);
    });
  }
  /** The causes of an event (the `from` of each edge into it). */
  *causes(id: string): Generator<string> {
    for (let i = this.head.get(id) ?? -1; i >= 0; i = this.next[i]!) yield this.edges[i]!.from;
  }
}

/** The events and all their causes (walking edges backwards), at most `cap` of them. */
export function causesOf(
  start: readonly string[],
  into: IncomingEdges,
  cap: number = Number.POSITIVE_INFINITY,
): Set<string> {
  const out = new Set<string>();
  const queue = [...start];
  while (queue.length && out.size < cap) {
    const id = queue.pop()!;
    if (out.has(id)) continue;
    out.add(id);
    for (const from of into.causes(id)) if (!out.has(from)) queue.push(from);
  }
  return out;
}
