/**
 * One story as HTML, from its table rows (the live page and the offline report render the same
 * thing): the header with the causal steps, the causal graph, the timeline and the evidence.
 */
import type { Row } from '../sinks/tables.ts';
import { layoutSvg, type GraphInput } from './graphLayout.ts';
import { cell, listOf, severityBadge, text } from './rowValues.ts';

/** How a story section is rendered. */
export interface SectionOptions {
  /** Where "all stories" leads. */
  back?: string;
  /** Served pages pan and zoom the graph with /static/graph.js; the report has no script. */
  interactive?: boolean;
}

interface TimelineRow {
  time: string;
  layer: string;
  kind: string;
  summary: string;
  signals?: string[];
  count?: number;
}

/** One story: header, causal steps, causal graph, timeline, evidence table. */
export async function renderStorySection(s: Row, evidence: Row[], options: SectionOptions = {}): Promise<string> {
  const id = String(s.StoryId);
  const graph = (s.Graph ?? { nodes: [], edges: [] }) as GraphInput;
  const svg = await layoutSvg(graph);
  return [
    `<article class="story" id="story-${text(id)}">`,
    `<header class="top">${options.back ? `<a href="${text(options.back)}">← all stories</a>` : ''}<h1>${text(s.StoryTitle)}</h1></header>`,
    '<main>',
    overview(s),
    '<section class="panel"><h2>Causal graph</h2>',
    options.interactive ? graphTools() : '',
    `<div class="graph-view" tabindex="0" role="group" aria-label="Causal graph: drag or scroll to pan, plus and minus to zoom">${svg}</div>`,
    '<p class="legend"><span class="on-path">attack path</span> flagged events and their causes · <span class="context">context</span> · × N: repeated events drawn once</p>',
    '</section>',
    timelinePanel(id, (Array.isArray(s.Timeline) ? s.Timeline : []) as TimelineRow[]),
    evidencePanel(evidence),
    '</main></article>',
  ].join('\n');
}

function overview(s: Row): string {
  const breakdown = (Array.isArray(s.RiskBreakdown) ? s.RiskBreakdown : []) as { points: number; reason: string }[];
  const chips = [...listOf(s.Tactics), ...listOf(s.Techniques), ...listOf(s.AtlasTechniques)];
  const note = (s.Summarised as { note?: string } | null)?.note;
  return [
    '<section class="panel">',
    `<p>${severityBadge(s.Severity)} risk <strong>${text(s.RiskScore)}</strong> · story <span class="mono">${text(s.StoryId)}</span> v${text(s.Version)} · ${text(s.Status)} · ${text(s.FirstSeen)} → ${text(s.LastSeen)}</p>`,
    `<p class="mono chain">${text(s.Chain)}</p>`,
    `<p class="chips">${chips.map((c) => `<span>${text(c)}</span>`).join('')}</p>`,
    `<p class="breakdown">${breakdown.map((b) => `${text(b.reason)} <strong>+${text(b.points)}</strong>`).join(' · ')}</p>`,
    '<h2>What happened</h2>',
    steps(String(s.Narrative ?? '')),
    note ? `<p class="summarised">${text(note)}</p>` : '',
    '</section>',
  ].join('\n');
}

/** The narrative's numbered steps as a list: the time apart, the rest as text. */
function steps(narrative: string): string {
  const items = narrative
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^(\d+)\. (\d\d:\d\d:\d\d\.\d{3}) (.*)$/.exec(line);
      return m
        ? `<li value="${m[1]}"><span class="mono time">${m[2]}</span> ${text(m[3])}</li>`
        : `<li class="more">${text(line)}</li>`;
    });
  return `<ol class="steps">${items.join('')}</ol>`;
}

function graphTools(): string {
  return [
    '<div class="graph-tools" role="toolbar" aria-label="Graph zoom">',
    '<button type="button" data-zoom="in" aria-label="Zoom in">+</button>',
    '<button type="button" data-zoom="out" aria-label="Zoom out">−</button>',
    '<button type="button" data-zoom="reset" aria-label="Actual size">1:1</button>',
    '<span class="muted">drag or scroll to pan · Ctrl+wheel, + and − to zoom · 0 for actual size</span>',
    '</div>',
  ].join('');
}

/** The timeline, with a "signals only" switch that works without script (a checkbox and CSS). */
function timelinePanel(storyId: string, timeline: TimelineRow[]): string {
  const box = `signals-only-${storyId}`;
  const items = timeline.map((t) => {
    const flagged = (t.signals?.length ?? 0) > 0;
    const signals = flagged
      ? `<span class="signals">${t.signals!.map((x) => `<span>${text(x)}</span>`).join('')}</span>`
      : '';
    const count = t.count ? ` <span class="count">× ${text(t.count.toLocaleString('en-US'))}</span>` : '';
    return `<li class="${flagged ? 'flagged' : 'context'}"><span class="mono">${text(String(t.time).slice(11, 23))}</span><span>${text(t.layer)}</span><span>${text(t.summary)}${count}${signals}</span></li>`;
  });
  return [
    '<section class="panel timeline-panel"><h2>Timeline</h2>',
    `<input type="checkbox" class="signals-only" id="${text(box)}"><label for="${text(box)}">Signals only</label>`,
    `<ol class="timeline">${items.join('')}</ol>`,
    '</section>',
  ].join('\n');
}

const EVIDENCE_COLUMNS = [
  'Time',
  'Source',
  'Kind',
  'Pod',
  'Process',
  'Command line',
  'File',
  'Destination',
  'Tool',
  'Alert',
  'Signals',
];

/** The evidence table: columns sized to their content, long values cut (the whole value on hover). */
function evidencePanel(evidence: Row[]): string {
  const rows = [...evidence]
    .sort((a, b) => String(a.TimeGenerated).localeCompare(String(b.TimeGenerated)))
    .map((r) => {
      const destination = [r.DstDomain ?? r.DstIpAddr, r.DstPortNumber].filter((x) => x !== null && x !== undefined);
      return [
        '<tr>',
        cell(String(r.TimeGenerated).slice(11, 23), 'mono'),
        cell(r.Source),
        cell(r.Kind),
        cell(r.Pod, 'mono'),
        cell(r.TargetProcessName, 'mono'),
        cell(r.TargetProcessCommandLine, 'mono wide'),
        cell(r.TargetFilePath, 'mono wide'),
        cell(destination.join(':'), 'mono'),
        cell(r.ToolName, 'mono'),
        cell(r.AlertName),
        cell(listOf(r.Signals).join(', '), 'mono'),
        '</tr>',
      ].join('');
    });
  return [
    '<section class="panel"><h2>Evidence</h2><div class="table-scroll"><table class="evidence">',
    `<thead><tr>${EVIDENCE_COLUMNS.map((c) => `<th>${c}</th>`).join('')}</tr></thead>`,
    `<tbody>\n${rows.join('\n')}</tbody></table></div></section>`,
  ].join('\n');
}
