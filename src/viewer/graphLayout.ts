/**
 * The story graph laid out with ELK (Eclipse Layout Kernel, elkjs): layered, left to right, edge
 * labels placed by the layout, then drawn as SVG. Every label is escaped.
 */
import { createRequire } from 'node:module';
import { escapeHtml } from '../story/escape.ts';

type Elk = new () => { layout(graph: unknown): Promise<LaidOut> };
let elk: Elk | undefined;

/** ELK is loaded the first time a graph is drawn, not when the viewer module is (the CLI and hosts never need it otherwise). */
function loadElk(): Elk {
  // The bundled build runs in-process (no worker thread).
  return (elk ??= createRequire(import.meta.url)('elkjs/lib/elk.bundled.js') as Elk);
}

export interface GraphInput {
  nodes: { id: string; layer: string; label: string }[];
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

const LAYER_ORDER = ['prompt', 'agent', 'protocol', 'tool', 'process', 'file', 'network', 'alert'];
const CHAR_W = 6.6;

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

export async function layoutSvg(graph: GraphInput): Promise<string> {
  if (!graph.nodes.length) return '<p class="empty">No graph for this story.</p>';
  const known = new Set(graph.nodes.map((n) => n.id));
  const edges = graph.edges.filter((e) => known.has(e.from) && known.has(e.to) && e.from !== e.to);
  const elkGraph = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '60',
      'elk.spacing.nodeNode': '18',
      'elk.spacing.edgeLabel': '4',
      'elk.edgeLabels.inline': 'false',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    },
    children: [...graph.nodes]
      .sort((a, b) => LAYER_ORDER.indexOf(a.layer) - LAYER_ORDER.indexOf(b.layer))
      .map((n) => ({
        id: n.id,
        width: Math.max(90, Math.min(260, clip(n.label, 38).length * CHAR_W + 24)),
        height: 40,
      })),
    edges: edges.map((e, i) => ({
      id: `e${i}`,
      sources: [e.from],
      targets: [e.to],
      labels: [{ text: e.reason, width: e.reason.length * 6 + 6, height: 12 }],
    })),
  };
  const out = await new (loadElk())().layout(elkGraph);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const parts: string[] = [];
  const w = Math.ceil((out.width ?? 400) + 20);
  const h = Math.ceil((out.height ?? 200) + 20);
  parts.push(
    `<svg class="graph" xmlns="http://www.w3.org/2000/svg" viewBox="-10 -10 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="Story graph">`,
  );
  parts.push(
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead"/></marker></defs>',
  );
  for (const [i, e] of (out.edges ?? []).entries()) {
    const src = edges[i]!;
    for (const s of e.sections ?? []) {
      const points = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]
        .map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`)
        .join(' ');
      parts.push(
        `<polyline class="edge reason-${escapeHtml(src.reason)}" points="${points}" marker-end="url(#arrow)"><title>${escapeHtml(`${src.reason}: ${src.detail}`)}</title></polyline>`,
      );
    }
    for (const l of e.labels ?? [])
      parts.push(
        `<text class="edge-label" x="${(l.x ?? 0).toFixed(1)}" y="${((l.y ?? 0) + 10).toFixed(1)}">${escapeHtml(l.text)}</text>`,
      );
  }
  for (const c of out.children ?? []) {
    const n = byId.get(c.id)!;
    parts.push(
      `<g class="node layer-${escapeHtml(n.layer)}" data-id="${escapeHtml(n.id)}" transform="translate(${(c.x ?? 0).toFixed(1)},${(c.y ?? 0).toFixed(1)})"><title>${escapeHtml(n.label)}</title><rect width="${c.width}" height="${c.height}" rx="6"/><text class="node-layer" x="8" y="14">${escapeHtml(n.layer)}</text><text class="node-label" x="8" y="30">${escapeHtml(clip(n.label, 38))}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}
