/** The story list: severity, score, title, workloads, layers, first and last seen, version. */
import type { Row } from '../sinks/tables.ts';
import { page } from './page.ts';
import { listOf, severityBadge, text } from './rowValues.ts';

export interface IndexOptions {
  live: boolean;
  href: (storyId: string) => string;
  subtitle?: string;
}

/** The list page (live: updated by /static/live.js), or its body for the report. */
export function renderIndex(stories: Row[], options: IndexOptions): string {
  const rows = stories
    .map((s) =>
      [
        `<tr data-story="${text(s.StoryId)}">`,
        `<td>${severityBadge(s.Severity)}</td>`,
        `<td>${text(s.RiskScore)}</td>`,
        `<td><a href="${text(options.href(String(s.StoryId)))}">${text(s.StoryTitle)}</a></td>`,
        `<td class="mono">${text(listOf(s.Workloads).join(', '))}</td>`,
        `<td>${text(listOf(s.Layers).join(' · '))}</td>`,
        `<td class="mono">${text(s.FirstSeen)}</td>`,
        `<td class="mono">${text(s.LastSeen)}</td>`,
        `<td>v${text(s.Version)}</td>`,
        '</tr>',
      ].join(''),
    )
    .join('\n');
  const status = options.live ? 'live' : text(options.subtitle ?? '');
  const empty = stories.length
    ? ''
    : '<p class="empty">No stories yet. Post sensor events to the ingest endpoints, or run with the demo.</p>';
  const body = [
    `<header class="top"><h1>Causeway attack stories</h1><span class="muted" id="live-status">${status}</span></header>`,
    '<main><table class="stories"><thead><tr>',
    '<th>Severity</th><th>Score</th><th>Story</th><th>Workloads</th><th>Layers</th><th>First seen</th><th>Last seen</th><th>Version</th>',
    `</tr></thead>\n<tbody id="stories-body">${rows}</tbody></table>${empty}</main>`,
  ].join('\n');
  return page({ title: 'Causeway attack stories', body, scripts: options.live ? ['/static/live.js'] : [] });
}
