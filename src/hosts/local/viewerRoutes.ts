/**
 * The story viewer's routes on the local host: the list, story pages, the list as JSON for live
 * updates, static assets. Stories are table rows (what the host wrote, and what the tables held
 * when it started), as the Sentinel parsers and the HTML report see them.
 */
import type { Row } from '../../sinks/tables.ts';
import { graphScript, liveScript, stylesheet } from '../../viewer/page.ts';
import { renderStoryPage } from '../../viewer/render.ts';
import { renderIndex } from '../../viewer/storyIndex.ts';

export interface StoryView {
  /** The latest row of every story that stands, highest risk first. */
  live(): Row[];
  /** The latest row of one story. */
  get(storyId: string): Row | undefined;
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
      body: renderIndex(view.live(), { live: true, href: (id) => `/story/${encodeURIComponent(id)}` }),
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
  return { status: 200, type: HTML, body: await renderStoryPage(story, view.evidence(String(story.StoryId))) };
}

function summary(r: Row) {
  return {
    storyId: r.StoryId,
    severity: r.Severity,
    riskScore: r.RiskScore,
    title: r.StoryTitle,
    workloads: r.Workloads,
    layers: r.Layers,
    firstSeen: r.FirstSeen,
    lastSeen: r.LastSeen,
    version: r.Version,
  };
}
