/**
 * Escaping for every medium an attacker-controlled string can reach (DESIGN §7): HTML (viewer,
 * report), Markdown (Sentinel incident descriptions, README-style narratives) and plain
 * single-line titles (Sentinel alert names). Tool names, command lines, paths and alert text are
 * all attacker-controlled.
 */

const HTML: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => HTML[c]!);
}

/** Backslash-escapes Markdown syntax and neutralises HTML and autolinks. */
export function escapeMarkdown(s: string): string {
  return singleLine(s)
    .replace(/[\\`*_{}[\]()#+\-.!|>~]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/:\/\//g, ':\\/\\/');
}

/** One line, no control characters, bounded: safe inside a title or an alert name. */
export function singleLine(s: string, max = 200): string {
  const flat = s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

/**
 * A value quoted inside a title: one line, no Markdown or HTML metacharacters, no `{{` (Sentinel
 * placeholders), short. Characters are replaced, not escaped, because Sentinel renders titles
 * in several places with different rules.
 */
export function titleValue(s: string, max = 60): string {
  return singleLine(s, max)
    .replace(/[<>`*[\]{}|#\\"]/g, "'")
    .replace(/'{2,}/g, "'");
}

/**
 * An attacker-influenced value inside Markdown or plain text (the Sentinel incident description):
 * a code span, so no Markdown or HTML in it is interpreted, with what could end the span or pass
 * for markup replaced (backticks, angle brackets), one line, short, and URLs defanged so no viewer
 * turns them into links.
 */
export function codeValue(s: string, max = 100): string {
  const v = singleLine(s, max).replace(/`/g, "'").replace(/</g, '‹').replace(/>/g, '›').replace(/:\/\//g, '[:]//');
  return `\`${v || '?'}\``;
}
