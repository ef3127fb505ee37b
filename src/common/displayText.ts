/**
 * Text that reaches a display column (a table cell, a title, a terminal, a page) carries no
 * control characters: newlines, CR, BEL, ESC sequences, line and paragraph separators, bidi
 * overrides and zero-width characters from an attacker's tool name or path become spaces, so
 * a value can neither forge a line of its own nor hide what it says.
 */

// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
// eslint-disable-next-line no-control-regex
const HAS_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

/** Each control, separator, bidi or zero-width character → a space; the same string when there is none. */
export function withoutControls(s: string): string {
  return HAS_CONTROLS.test(s) ? s.replace(CONTROLS, ' ') : s;
}

/** One line, no control characters, runs of spaces collapsed, at most `max` characters. */
export function oneLine(s: string, max = 200): string {
  const flat = withoutControls(s).replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}
