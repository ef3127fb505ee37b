/**
 * A process as a profile remembers it: the binary and its arguments as a pattern, so that one
 * long-running server and its restarts (new pids, temp names, session ids in the arguments) stay one
 * entry. Dynamic arguments collapse to `⋯` the way path segments do.
 */
import { collapsePath, DYNAMIC } from './profile.ts';

/** Arguments kept per pattern: a command line longer than this is cut (with `…`). */
const MAX_ARGS = 16;
const MAX_LENGTH = 200;
const DYNAMIC_TOKEN =
  /^(\d+|0x[0-9a-f]+|[0-9a-f]{12,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{1,3}(\.\d{1,3}){3}(:\d+)?)$/i;
/** A token with a long run of digits inside (`--session=20261120103000`, `worker-482133`); ports stay. */
const EMBEDDED_DIGITS = /\d{6,}/;

/** `/usr/bin/python3` + `python3 -m worker --pid 4242` → `/usr/bin/python3 -m worker --pid ⋯`. */
export function processPattern(binary: string, commandLine: string | undefined): string {
  // Most events repeat a few command lines: the pattern is remembered (bounded, shared).
  const key = `${binary}\0${commandLine ?? ''}`;
  let pattern = patterns.get(key);
  if (pattern === undefined) {
    pattern = patternOf(binary, commandLine);
    if (patterns.size >= 8192) patterns.clear();
    patterns.set(key, pattern);
  }
  return pattern;
}

const patterns = new Map<string, string>();

function patternOf(binary: string, commandLine: string | undefined): string {
  const tokens = (commandLine ?? '').split(/\s+/).filter(Boolean);
  // The command line usually starts with argv[0] (the binary, or its base name): the binary says it.
  const base = binary.split('/').pop();
  if (tokens[0] && (tokens[0] === binary || tokens[0].split('/').pop() === base)) tokens.shift();
  const args = tokens.slice(0, MAX_ARGS).map(collapseToken);
  let text = [binary, ...args].join(' ');
  if (tokens.length > MAX_ARGS || text.length > MAX_LENGTH) text = `${text.slice(0, MAX_LENGTH)} …`;
  return text;
}

function collapseToken(token: string): string {
  if (token.startsWith('[REDACTED:')) return token;
  const eq = token.indexOf('=');
  if (eq > 0) return `${token.slice(0, eq + 1)}${collapseValue(token.slice(eq + 1))}`;
  return collapseValue(token);
}

function collapseValue(value: string): string {
  if (!value) return value;
  if (value.startsWith('/')) return collapsePath(value);
  if (DYNAMIC_TOKEN.test(value) || EMBEDDED_DIGITS.test(value)) return DYNAMIC;
  return value;
}
