/**
 * The story graph laid out with ELK (Eclipse Layout Kernel, elkjs): layered, left to right, edge
 * labels placed by the layout, then drawn as SVG at a readable scale (labels 12 px at actual size;
 * the page scrolls and zooms the drawing rather than shrinking it to the panel). The attack path
 * (flagged events and their causes, and the edges between them) is marked over context, and
 * repeated context is drawn once (graphCollapse.ts). Every label is escaped.
 */
import { createRequire } from 'node:module';
import { escapeHtml } from '../story/escape.ts';
import { collapseRepeats } from './graphCollapse.ts';

type Elk = new () => { layout(graph: unknown): Promise<LaidOut> };
let elk: Elk | undefined;

/** ELK is loaded the first time a graph is drawn, not when the viewer module is (the CLI and hosts never need it otherwise). */
function loadElk(): Elk {
  // The bundled build runs in-process (no worker thread).
  return (elk ??= createRequire(import.meta.url)('elkjs/lib/elk.bundled.js') as Elk);
}

/** The Graph column of a story row. */
export interface GraphInput {
  nodes: { id: string; layer: string; label: string; count?: number; flagged?: boolean; path?: boolean }[];
  edges: { from: string; to: string; reason: string; detail: string }[];
}

interface LaidOut {
  width?: number;
  height?: number;
  children?: { id: string; x?: number; y?: number; width: number; height: number }[];
  edges?: {
    id: string;
    sections?: {
      startPoint: { x: number; y: number };
      endPoint: { x: number; y: number };
      bendPoints?: { x: number; y: number }[];
    }[];
    labels?: { text: string; x?: number; y?: number; width: number; height: number }[];
  }[];
}

const LAYER_ORDER = ['prompt', 'agent', 'protocol', 'tool', 'process', 'file', 'network', 'cloud', 'alert'];
/** Width of one character of the 12 px monospace label font, and of the 11 px edge labels. */
const CHAR_W = 7.3;
const EDGE_CHAR_W = 6.7;
const LABEL_CHARS = 52;

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

/** The graph as an SVG drawing at actual size (or a note when there is none). */
export async function layoutSvg(input: GraphInput): Promise<string> {
  if (!input.nodes.length) return '<p class="empty">No graph for this story.</p>';
  const graph = collapseRepeats(input);
  const known = new Set(graph.nodes.map((n) => n.id));
  const edges = graph.edges.filter((e) => known.has(e.from) && known.has(e.to) && e.from !== e.to);
  const onPath = new Set(graph.nodes.filter((n) => n.path || n.flagged).map((n) => n.id));
  const elkGraph = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '64',
      'elk.spacing.nodeNode': '20',
      'elk.spacing.edgeLabel': '4',
      'elk.edgeLabels.inline': 'false',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    },
    children: [...graph.nodes]
      .sort((a, b) => LAYER_ORDER.indexOf(a.layer) - LAYER_ORDER.indexOf(b.layer))
      .map((n) => ({
        id: n.id,
        width: Math.max(100, Math.ceil(clip(n.label, LABEL_CHARS).length * CHAR_W + 24)),
        height: 46,
      })),
    edges: edges.map((e, i) => ({
      id: `e${i}`,
      sources: [e.from],
      targets: [e.to],
      labels: [{ text: e.reason, width: Math.ceil(e.reason.length * EDGE_CHAR_W + 6), height: 14 }],
    })),
  };
  const out = await new (loadElk())().layout(elkGraph);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const w = Math.ceil((out.width ?? 400) + 20);
  const h = Math.ceil((out.height ?? 200) + 20);
  const parts: string[] = [
    `<svg class="graph" xmlns="http://www.w3.org/2000/svg" viewBox="-10 -10 ${w} ${h}" width="${w}" height="${h}" data-width="${w}" data-height="${h}" role="img" aria-label="Story graph">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead"/></marker></defs>',
  ];
  for (const [i, e] of (out.edges ?? []).entries()) {
    const src = edges[i]!;
    const path = onPath.has(src.from) && onPath.has(src.to) ? 'on-path' : 'context';
    for (const s of e.sections ?? []) {
      const points = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]
        .map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`)
        .join(' ');
      parts.push(
        `<polyline class="edge ${path} reason-${escapeHtml(src.reason)}" points="${points}" marker-end="url(#arrow)"><title>${escapeHtml(`${src.reason}: ${src.detail}`)}</title></polyline>`,
      );
    }
    for (const l of e.labels ?? [])
      parts.push(
        `<text class="edge-label ${path}" x="${(l.x ?? 0).toFixed(1)}" y="${((l.y ?? 0) + 11).toFixed(1)}">${escapeHtml(l.text)}</text>`,
      );
  }
  for (const c of out.children ?? []) {
    const n = byId.get(c.id)!;
    const classes = ['node', `layer-${escapeHtml(n.layer)}`, onPath.has(n.id) ? 'on-path' : 'context'];
    if (n.flagged) classes.push('flagged');
    if (n.count) classes.push('repeated');
    parts.push(
      `<g class="${classes.join(' ')}" data-id="${escapeHtml(n.id)}" transform="translate(${(c.x ?? 0).toFixed(1)},${(c.y ?? 0).toFixed(1)})">`,
      `<title>${escapeHtml(n.label)}</title><rect width="${c.width}" height="${c.height}" rx="6"/>`,
      `<text class="node-layer" x="8" y="16">${escapeHtml(n.layer)}</text>`,
      `<text class="node-label" x="8" y="35">${escapeHtml(clip(n.label, LABEL_CHARS))}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}
