/**
 * JSON text helpers for the envelope: parsing without echoing payload in errors, depth and size
 * measured without recursion, and serialisation that never throws (a value too deep for the stack
 * cannot take the body down with it).
 */

/** Parses JSON text; an error says what and where, never the text. */
export function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: `not valid JSON (${parseErrorWithoutPayload((e as Error).message)})` };
  }
}

/**
 * V8's JSON errors quote the payload ("Unexpected token 'o', "not json…" is not valid JSON"),
 * and a dead letter must never carry payload text: keep only what and where.
 */
export function parseErrorWithoutPayload(message: string): string {
  const where = /at position (\d+)(?: \(line (\d+) column (\d+)\))?/.exec(message);
  const what = /^Unexpected end/.test(message)
    ? 'unexpected end of input'
    : /^Unexpected token|^Unexpected non-whitespace/.test(message)
      ? 'unexpected character'
      : /^Expected/.test(message)
        ? message.replace(/ in JSON.*$/, '').replace(/"[^"]*"|'[^']*'/g, '…')
        : 'syntax error';
  return where ? `${what} at position ${where[1]}${where[2] ? ` (line ${where[2]} column ${where[3]})` : ''}` : what;
}

/**
 * Bracket depth of JSON text, skipping string contents. A linear scan over char codes: cheaper
 * than walking the parsed object, and it runs before any recursive code sees the record.
 */
export function exceedsDepth(text: string, maxDepth: number): boolean {
  // Fewer opening brackets than the limit cannot nest past it: count them with the native
  // indexOf first, and scan char by char only for the rare record that has that many.
  if (!hasAtLeastBrackets(text, maxDepth + 1)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped char
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > maxDepth) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

function hasAtLeastBrackets(text: string, n: number): boolean {
  let count = 0;
  for (let i = text.indexOf('{'); i !== -1 && count < n; i = text.indexOf('{', i + 1)) count++;
  for (let i = text.indexOf('['); i !== -1 && count < n; i = text.indexOf('[', i + 1)) count++;
  return count >= n;
}

/**
 * Whether a parsed value nests deeper than `max` (objects and arrays). Recursion stops at the
 * limit, so a hostile value costs no more stack than a legal one.
 */
export function valueExceedsDepth(value: unknown, max: number, depth = 1): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > max) return true;
  const children = Array.isArray(value) ? value : Object.values(value);
  for (const child of children)
    if (child !== null && typeof child === 'object' && valueExceedsDepth(child, max, depth + 1)) return true;
  return false;
}

/** UTF-8 size without a full scan when the string is clearly under the limit (≤ 3 bytes per UTF-16 unit). */
export function byteSize(text: string, limit: number): number {
  return text.length * 3 <= limit ? text.length : Buffer.byteLength(text);
}

/** JSON text of a value for sizing and hashing; never throws (a value too deep for the stack gives ''). */
export function serialise(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '';
  }
}

/**
 * The top-level values of a line that holds several (`{…}{…}`, `{…} {…}`, `{…},{…}`: two records
 * a writer glued together), as text; undefined when the line is not such a sequence. A torn last
 * value is returned too, so it is rejected on its own.
 */
export function topLevelValues(text: string): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) {
      if (depth === 0) return undefined;
      inString = true;
    } else if (c === 123 || c === 91) {
      if (depth++ === 0) start = i;
    } else if (c === 125 || c === 93) {
      if (--depth < 0) return undefined;
      if (depth === 0) out.push(text.slice(start, i + 1));
    } else if (depth === 0 && c !== 32 && c !== 9 && c !== 13 && c !== 44) return undefined;
  }
  if (depth > 0) out.push(text.slice(start));
  return out.length > 1 ? out : undefined;
}
