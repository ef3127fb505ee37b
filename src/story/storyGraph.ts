/**
 * The timeline and the graph of a story from the events the row budget shows one by one
 * (storyBudget.ts): each shown event is a step and a node, each group of repeated events one
 * counted step and one counted node, and edges into or out of a group are drawn once, counted.
 * Both fit their byte budget: what a column cannot hold is left out and counted.
 */
import type { Edge } from '../model/episode.ts';
import type { RuntimeEvent } from '../model/event.ts';
import type { GraphEdge, GraphNode, TimelineStep } from '../model/story.ts';
import { describeEvent, destinationLabel, processLabel } from '../model/describe.ts';
import { singleLine } from './escape.ts';
import { STORY_ROW_BUDGET, type Selection } from './storyBudget.ts';
import { fitBytes } from './columnFit.ts';
import { clock } from './storySteps.ts';

/** What the timeline and graph are made from. */
export interface GraphSource {
  selection: Selection;
  edges: readonly Edge[];
  signalsByEvent: ReadonlyMap<string, string[]>;
  /** Event id → evidence id in this story. */
  evidenceId: (eventId: string) => string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The timeline: shown events and counted groups in time order; `leftOut` steps did not fit. */
export function storyTimeline(src: GraphSource): { timeline: TimelineStep[]; leftOut: number } {
  const { selection, signalsByEvent, evidenceId } = src;
  const steps: TimelineStep[] = selection.kept.map((e) => ({
    time: iso(e.time),
    layer: e.layer,
    kind: e.kind,
    summary: singleLine(describeEvent(e), 300),
    evidenceId: evidenceId(e.id),
    signals: signalsByEvent.get(e.id) ?? [],
  }));
  for (const g of selection.groups)
    steps.push({
      time: iso(g.first),
      layer: g.layer,
      kind: g.kind,
      summary: singleLine(
        `${g.label} — ${g.count.toLocaleString('en-US')} times, ${g.shown.length} shown, the last at ${clock(g.last)}`,
        300,
      ),
      evidenceId: g.examples.length ? evidenceId(g.examples[0]!) : '',
      signals: g.rules,
      count: g.count,
      lastTime: iso(g.last),
    });
  // Stable: shown events keep their order (time, then event id); a group goes after its first event.
  steps.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const flaggedFirst = (a: TimelineStep, b: TimelineStep) =>
    Number(b.signals.length > 0 || !!b.count) - Number(a.signals.length > 0 || !!a.count);
  const fit = fitBytes(steps, STORY_ROW_BUDGET.timelineBytes, flaggedFirst);
  return { timeline: fit.items, leftOut: fit.leftOut };
}

/** The graph: shown events and counted groups as nodes, edges drawn once per pair and reason. */
export function storyGraph(src: GraphSource): {
  graph: { nodes: GraphNode[]; edges: GraphEdge[] };
  leftOutEdges: number;
  leftOutNodes: number;
} {
  const { selection, signalsByEvent, evidenceId } = src;
  const nodes: GraphNode[] = selection.kept.map((e) => ({
    id: evidenceId(e.id),
    layer: graphLayer(e),
    label: singleLine(nodeLabel(e), 80),
    evidenceId: evidenceId(e.id),
    ...(signalsByEvent.has(e.id) ? { flagged: true as const } : {}),
    ...(selection.path.has(e.id) ? { path: true as const } : {}),
  }));
  selection.groups.forEach((g, i) => {
    const leftOut = g.count - g.shown.length;
    nodes.push({
      id: `group-${i}`,
      layer: g.layer,
      label: singleLine(`${singleLine(g.label, 60)} × ${leftOut.toLocaleString('en-US')}`, 80),
      count: leftOut,
      ...(g.rules.length ? { flagged: true as const, path: true as const } : {}),
    });
  });
  // Edges are drawn once per (from, to, reason): keyed by node numbers, not strings (stories with
  // hundreds of thousands of edges between a few nodes and groups).
  const shownIndex = new Map(selection.kept.map((e, i) => [e.id, i]));
  const groupBase = selection.kept.length;
  const nodeIndex = (eventId: string) =>
    shownIndex.get(eventId) ?? groupBase + (selection.groupOf.get(eventId) ?? -groupBase - 1);
  const reasons = new Map<string, number>();
  const drawn = new Map<number, GraphEdge & { n: number }>();
  let hidden = 0;
  for (const e of src.edges) {
    const from = nodeIndex(e.from);
    const to = nodeIndex(e.to);
    if (from < 0 || to < 0 || from === to) {
      hidden++;
      continue;
    }
    let reason = reasons.get(e.reason);
    if (reason === undefined) reasons.set(e.reason, (reason = reasons.size));
    const key = (from * nodes.length + to) * 16 + reason;
    const known = drawn.get(key);
    if (known) {
      known.n++;
      hidden++;
    } else
      drawn.set(key, {
        from: nodes[from]!.id,
        to: nodes[to]!.id,
        reason: e.reason,
        detail: singleLine(e.detail, 160),
        n: 1,
      });
  }
  const edges: GraphEdge[] = [...drawn.values()].map(({ n, ...edge }) =>
    n > 1 ? { ...edge, detail: singleLine(`${edge.detail} (and ${(n - 1).toLocaleString('en-US')} more)`, 200) } : edge,
  );
  const pathFirst = (a: GraphNode, b: GraphNode) => Number(!!b.path) - Number(!!a.path);
  const fitNodes = fitBytes(nodes, STORY_ROW_BUDGET.graphBytes / 2, pathFirst);
  const present = new Set(fitNodes.items.map((n) => n.id));
  const onPath = new Set(fitNodes.items.filter((n) => n.path).map((n) => n.id));
  const candidates = edges.filter((e) => present.has(e.from) && present.has(e.to));
  const nodesBytes = Buffer.byteLength(JSON.stringify(fitNodes.items));
  const fitEdges = fitBytes(
    candidates,
    STORY_ROW_BUDGET.graphBytes - nodesBytes - 32,
    (a, b) => Number(onPath.has(b.from) && onPath.has(b.to)) - Number(onPath.has(a.from) && onPath.has(a.to)),
  );
  return {
    graph: { nodes: fitNodes.items, edges: fitEdges.items },
    leftOutEdges: hidden + (edges.length - fitEdges.items.length),
    leftOutNodes: fitNodes.leftOut,
  };
}

function graphLayer(e: RuntimeEvent): GraphNode['layer'] {
  if (e.kind === 'tool.execute' || (e.kind === 'mcp.request' && e.trace?.spanKind === 'SERVER')) return 'tool';
  return e.layer;
}

function nodeLabel(e: RuntimeEvent): string {
  switch (e.layer) {
    case 'process':
      return e.kind === 'process.exec' ? (e.process?.commandLine ?? processLabel(e)) : describeEvent(e);
    case 'file':
      return e.file?.path ?? 'file';
    case 'network':
      return destinationLabel(e);
    case 'prompt':
    case 'alert':
      return e.alert?.name ?? e.alert?.type ?? 'alert';
    default:
      return e.trace?.toolName ? `${e.kind === 'mcp.request' ? 'MCP ' : ''}${e.trace.toolName}` : describeEvent(e);
  }
}
