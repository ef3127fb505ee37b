/**
 * Repeated context drawn once: sibling nodes of one kind (same layer and label, the same cause
 * through the same edge, no effects of their own, not on the attack path), such as the model calls
 * of one agent turn, become one node "model call to gpt-4o × 4".
 */
import type { GraphInput } from './graphLayout.ts';

/** The graph with repeated sibling context nodes collapsed. */
export function collapseRepeats(graph: GraphInput): GraphInput {
  const outgoing = new Set(graph.edges.map((e) => e.from));
  const into = new Map<string, GraphInput['edges']>();
  for (const e of graph.edges) into.set(e.to, [...(into.get(e.to) ?? []), e]);
  const siblings = new Map<string, string[]>();
  for (const n of graph.nodes) {
    const ins = into.get(n.id) ?? [];
    if (n.path || n.flagged || n.count || outgoing.has(n.id) || ins.length !== 1) continue;
    const key = `${ins[0]!.from}\u0000${ins[0]!.reason}\u0000${n.layer}\u0000${n.label}`;
    siblings.set(key, [...(siblings.get(key) ?? []), n.id]);
  }
  const dropped = new Set<string>();
  const counts = new Map<string, number>();
  for (const ids of siblings.values()) {
    if (ids.length < 2) continue;
    counts.set(ids[0]!, ids.length);
    for (const id of ids.slice(1)) dropped.add(id);
  }
  if (!dropped.size) return graph;
  return {
    nodes: graph.nodes
      .filter((n) => !dropped.has(n.id))
      .map((n) =>
        counts.has(n.id) ? { ...n, label: `${n.label} × ${counts.get(n.id)}`, count: counts.get(n.id) } : n,
      ),
    edges: graph.edges.filter((e) => !dropped.has(e.from) && !dropped.has(e.to)),
  };
}
