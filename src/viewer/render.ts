/**
 * HTML for stories, from their table rows (so live pages and the offline report render the same
 * thing). Server-rendered; every attacker-controlled value is escaped; no inline scripts; the
 * Content-Security-Policy allows only this origin's stylesheet and scripts (served pages) or the
 * one inline stylesheet by hash (the self-contained report, which has no script at all).
 */
import type { Row } from '../sinks/tables.ts';
import { page } from './page.ts';
import { renderIndex } from './storyIndex.ts';
import { renderStorySection } from './storySection.ts';

/** One story page, served: the graph pans and zooms with /static/graph.js. */
export async function renderStoryPage(s: Row, evidence: Row[]): Promise<string> {
  return page({
    title: `Causeway: ${String(s.StoryTitle)}`,
    body: await renderStorySection(s, evidence, { back: '/', interactive: true }),
    scripts: ['/static/graph.js'],
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
