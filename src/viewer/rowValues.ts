/**
 * Values of table rows as HTML: every value may be attacker-controlled, so each one is escaped
 * (story/escape.ts) on its way into the page.
 */
import { escapeHtml } from '../story/escape.ts';

/** A row value as escaped text (objects as JSON, null as nothing). */
export function text(v: unknown): string {
  return escapeHtml(v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
}

/** A dynamic list column as strings. */
export function listOf(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : [];
}

/** The severity badge. */
export function severityBadge(v: unknown): string {
  const s = String(v ?? 'Informational');
  const cls = ['High', 'Medium', 'Low', 'Informational'].includes(s) ? s : 'Informational';
  return `<span class="sev sev-${cls}">${text(s)}</span>`;
}

/**
 * A table cell sized to its content: long values are cut with an ellipsis by the stylesheet and
 * the whole value is in the title attribute (shown on hover).
 */
export function cell(v: unknown, className = ''): string {
  const t = text(v);
  return `<td class="${className}"${t ? ` title="${t}"` : ''}><span class="cut">${t}</span></td>`;
}
