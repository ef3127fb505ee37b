/**
 * The story viewer's routes on the local host: the list, story pages, the list as JSON for live
 * updates, static assets. Stories come from what the host has written.
 */
import type { Story } from '../../model/story.ts';
import { storyRow } from '../../sinks/rows.ts';
import type { Row } from '../../sinks/tables.ts';
import { graphScript, liveScript, stylesheet } from '../../viewer/page.ts';
import { renderStoryPage } from '../../viewer/render.ts';
import { renderIndex } from '../../viewer/storyIndex.ts';

export interface StoryView {
  /** Stories that stand, highest risk first. */
  live(): Story[];
  get(storyId: string): Story | undefined;
  /** Every evidence row written for the story (versions carry only their new evidence). */
  evidence(storyId: string): Row[];
}

export interface Page {
  status: number;
  type: string;
  body: string;
}

const HTML = 'text/html; charset=utf-8';
const TEXT = 'text/plain; charset=utf-8';

export async function viewerPage(path: string, view: StoryView): Promise<Page | undefined> {
  if (path === '/')
    return {
      status: 200,
      type: HTML,
      body: renderIndex(view.live().map(storyRow), { live: true, href: (id) => `/story/${encodeURIComponent(id)}` }),
    };
  if (path === '/api/stories')
    return { status: 200, type: 'application/json', body: JSON.stringify(view.live().map(summary)) };
  if (path === '/static/causeway.css') return { status: 200, type: 'text/css; charset=utf-8', body: stylesheet() };
  if (path === '/static/live.js') return { status: 200, type: 'text/javascript; charset=utf-8', body: liveScript() };
  if (path === '/static/graph.js') return { status: 200, type: 'text/javascript; charset=utf-8', body: graphScript() };
  const m = /^\/story\/([^/]+)$/.exec(path);
  if (!m) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(m[1]!);
  } catch {
    return { status: 400, type: TEXT, body: 'Malformed story id' };
  }
  const story = view.get(id);
  if (!story) return { status: 404, type: TEXT, body: 'No such story' };
  return { status: 200, type: HTML, body: await renderStoryPage(storyRow(story), view.evidence(story.storyId)) };
}

function summary(s: Story) {
  return {
    storyId: s.storyId,
    severity: s.severity,
    riskScore: s.riskScore,
    title: s.title,
    workloads: s.workloads,
    layers: s.layers,
    firstSeen: new Date(s.firstSeen).toISOString(),
    lastSeen: new Date(s.lastSeen).toISOString(),
    version: s.version,
  };
}
