/**
 * The HTML page shell of the viewer and the report, its Content-Security-Policy and static assets.
 * Served pages load only this origin's stylesheet and scripts (SERVED_CSP); the report is one file
 * with no script at all and its stylesheet inline, allowed by hash.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { repoPath } from '../repoPath.ts';
import { escapeHtml } from '../story/escape.ts';

export const SERVED_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function asset(name: string): string {
  return readFileSync(repoPath('src', 'viewer', 'static', name), 'utf8');
}

export function stylesheet(): string {
  return asset('causeway.css');
}

/** The story list's live updates. */
export function liveScript(): string {
  return asset('live.js');
}

/** Pan and zoom of the story graph (served pages only). */
export function graphScript(): string {
  return asset('graph.js');
}

/** What a page holds. */
export interface Shell {
  title: string;
  body: string;
  /** Served pages link the stylesheet; the report inlines it (allowed by hash). */
  inline?: boolean;
  scripts?: string[];
}

export function page({ title, body, inline, scripts = [] }: Shell): string {
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
