/**
 * HTML for stories, from their table rows (so live pages and the offline report render the same
 * thing). Server-rendered; every attacker-controlled value goes through escapeHtml; no inline
 * scripts; the Content-Security-Policy allows only this origin's stylesheet and script (served
 * pages) or the one inline stylesheet by hash (the self-contained report).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Row } from '../sinks/tables.ts';
import { repoPath } from '../repoPath.ts';
import { escapeHtml } from '../story/escape.ts';
import { layoutSvg, type GraphInput } from './graphLayout.ts';

const e = (v: unknown) =>
  escapeHtml(v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : [];

export const SERVED_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function stylesheet(): string {
  return readFileSync(repoPath('src', 'viewer', 'static', 'causeway.css'), 'utf8');
}

export function liveScript(): string {
  return readFileSync(repoPath('src', 'viewer', 'static', 'live.js'), 'utf8');
}

interface Shell {
  title: string;
  body: string;
  /** Served pages link the stylesheet; the report inlines it (allowed by hash). */
  inline?: boolean;
  scripts?: string[];
}

function page({ title, body, inline, scripts = [] }: Shell): string {
  const css = inline ? stylesheet() : '';
  // Served pages get SERVED_CSP as a response header; a report file has no headers, so its
  // policy travels in a <meta> element (where frame-ancestors would be ignored).
  const reportCsp = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(css).digest('base64')}'; img-src data:; base-uri 'none'; form-action 'none'`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    ...(inline ? [`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(reportCsp)}">`] : []),
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    inline ? `<style>${css}</style>` : '<link rel="stylesheet" href="/static/causeway.css">',
    ...scripts.map((s) => `<script src="${escapeHtml(s)}" defer></script>`),
    '</head><body>',
    body,
    '</body></html>',
  ].join('\n');
}

function severity(v: unknown): string {
  const s = String(v ?? 'Informational');
  const cls = ['High', 'Medium', 'Low', 'Informational'].includes(s) ? s : 'Informational';
  return `<span class="sev sev-${cls}">${e(s)}</span>`;
}

export interface IndexOptions {
  live: boolean;
  href: (storyId: string) => string;
  subtitle?: string;
}

/** The story list: severity, score, title, workloads, layers, first/last seen. */
export function renderIndex(stories: Row[], options: IndexOptions): string {
  const rows = stories
    .map(
      (s) =>
        `<tr data-story="${e(s.StoryId)}"><td>${severity(s.Severity)}</td><td>${e(s.RiskScore)}</td><td><a href="${e(options.href(String(s.StoryId)))}">${e(s.StoryTitle)}</a></td><td class="mono">${e(list(s.Workloads).join(', '))}</td><td>${e(list(s.Layers).join(' · '))}</td><td class="mono">${e(s.FirstSeen)}</td><td class="mono">${e(s.LastSeen)}</td><td>v${e(s.Version)}</td></tr>`,
    )
    .join('\n');
  const body = `<header class="top"><h1>Causeway attack stories</h1><span class="muted" id="live-status">${options.live ? 'live' : e(options.subtitle ?? '')}</span></header>
<main><table class="stories"><thead><tr><th>Severity</th><th>Score</th><th>Story</th><th>Workloads</th><th>Layers</th><th>First seen</th><th>Last seen</th><th>Version</th></tr></thead>
<tbody id="stories-body">${rows || ''}</tbody></table>${stories.length ? '' : '<p class="empty">No stories yet. Post sensor events to the ingest endpoints, or run with the demo.</p>'}</main>`;
  return page({ title: 'Causeway attack stories', body, scripts: options.live ? ['/static/live.js'] : [] });
}

/** One story: header, causal graph, timeline, evidence table. */
export async function renderStorySection(s: Row, evidence: Row[], options: { back?: string } = {}): Promise<string> {
  const graph = (s.Graph ?? { nodes: [], edges: [] }) as GraphInput;
  const svg = await layoutSvg(graph);
  const timeline = (Array.isArray(s.Timeline) ? s.Timeline : []) as {
    time: string;
    layer: string;
    kind: string;
    summary: string;
    signals: string[];
  }[];
  const breakdown = (Array.isArray(s.RiskBreakdown) ? s.RiskBreakdown : []) as {
    factor: string;
    points: number;
    reason: string;
  }[];
  const sortedEvidence = [...evidence].sort((a, b) => String(a.TimeGenerated).localeCompare(String(b.TimeGenerated)));
  return `<article class="story" id="story-${e(s.StoryId)}">
<header class="top">${options.back ? `<a href="${e(options.back)}">← all stories</a>` : ''}<h1>${e(s.StoryTitle)}</h1></header>
<main>
<section class="panel"><p>${severity(s.Severity)} risk <strong>${e(s.RiskScore)}</strong> · story <span class="mono">${e(s.StoryId)}</span> v${e(s.Version)} · ${e(s.Status)} · ${e(s.FirstSeen)} → ${e(s.LastSeen)}</p>
<p class="mono chain">${e(s.Chain)}</p>
<p class="chips">${list(s.Tactics)
    .map((t) => `<span>${e(t)}</span>`)
    .join('')}${list(s.Techniques)
    .map((t) => `<span>${e(t)}</span>`)
    .join('')}${list(s.AtlasTechniques)
    .map((t) => `<span>${e(t)}</span>`)
    .join('')}</p>
<ul class="breakdown">${breakdown.map((b) => `<li>+${e(b.points)} ${e(b.reason)}</li>`).join('')}</ul>
<p class="narrative">${e(s.Narrative)}</p></section>
<section class="panel"><h2>Causal graph</h2><div class="graph-wrap">${svg}</div></section>
<section class="panel"><h2>Timeline</h2><ol class="timeline">${timeline
    .map(
      (t) =>
        `<li class="${t.signals?.length ? 'flagged' : ''}"><span class="mono">${e(String(t.time).slice(11, 23))}</span><span>${e(t.layer)}</span><span>${e(t.summary)}${t.signals?.length ? `<span class="signals">${t.signals.map((x) => `<span>${e(x)}</span>`).join('')}</span>` : ''}</span></li>`,
    )
    .join('')}</ol></section>
<section class="panel"><h2>Evidence</h2><table class="evidence"><thead><tr><th>Time</th><th>Source</th><th>Kind</th><th>Pod</th><th>Process</th><th>Command line</th><th>File</th><th>Destination</th><th>Tool</th><th>Alert</th><th>Signals</th></tr></thead><tbody>
${sortedEvidence
  .map(
    (r) =>
      `<tr><td class="mono">${e(String(r.TimeGenerated).slice(11, 23))}</td><td>${e(r.Source)}</td><td>${e(r.Kind)}</td><td class="mono">${e(r.Pod)}</td><td class="mono">${e(r.TargetProcessName)}</td><td class="mono">${e(r.TargetProcessCommandLine)}</td><td class="mono">${e(r.TargetFilePath)}</td><td class="mono">${e([r.DstDomain ?? r.DstIpAddr, r.DstPortNumber].filter((x) => x !== null && x !== undefined).join(':'))}</td><td class="mono">${e(r.ToolName)}</td><td>${e(r.AlertName)}</td><td class="mono">${e(list(r.Signals).join(', '))}</td></tr>`,
  )
  .join('\n')}</tbody></table></section>
</main></article>`;
}

export async function renderStoryPage(s: Row, evidence: Row[]): Promise<string> {
  return page({
    title: `Causeway: ${String(s.StoryTitle)}`,
    body: await renderStorySection(s, evidence, { back: '/' }),
  });
}

/** One self-contained file: the list and every story, linked by anchors; no script at all. */
export async function renderReport(stories: Row[], evidence: Map<string, Row[]>, subtitle: string): Promise<string> {
  const index = renderIndex(stories, { live: false, href: (id) => `#story-${id}`, subtitle })
    .replace(/^[\s\S]*<body>\n/, '')
    .replace(/\n<\/body><\/html>$/, '');
  const sections: string[] = [];
  for (const s of stories)
    sections.push(await renderStorySection(s, evidence.get(String(s.StoryId)) ?? [], { back: '#top' }));
  return page({ title: 'Causeway report', body: `<div id="top">${index}</div>\n${sections.join('\n')}`, inline: true });
}
