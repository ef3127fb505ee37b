/**
 * Hostile inputs built from our own fixtures: one record per source format that decodes to exactly
 * one event, and helpers that put a value at a path of a copy of a record (a huge time, a deep
 * array, a planted secret) so each test names the field it attacks.
 */
import { gzipSync } from 'node:zlib';
import { fixtureRecords } from './fixtures.ts';

export type Json = Record<string, unknown>;

/** One record per format, each decoding to exactly one event, with the path of its event time. */
export interface Sample {
  name: string;
  endpoint: string;
  record: Json;
  /** Where the record carries its event time (one path per field the decoder reads). */
  timePaths: string[][];
}

export function samples(): Sample[] {
  return [
    {
      name: 'tetragon exec',
      endpoint: '/tetragon',
      record: fixtureRecords('tetragon/export.jsonl')[0]!,
      timePaths: [['time']],
    },
    {
      name: 'tetragon kprobe',
      endpoint: '/tetragon',
      record: fixtureRecords('tetragon/kprobe-syscall-read.json')[0]!,
      timePaths: [['time']],
    },
    {
      name: 'kubescape stdout',
      endpoint: '/v1/runtimealerts',
      record: fixtureRecords('kubescape/runtime-alerts-stdout.jsonl')[0]!,
      timePaths: [['BaseRuntimeMetadata', 'timestamp']],
    },
    {
      name: 'falco',
      endpoint: '/falco',
      record: fixtureRecords('falco/json-output.jsonl')[0]!,
      timePaths: [['time'], ['output_fields', 'evt.time']],
    },
    {
      name: 'toolhive',
      endpoint: '/ingest',
      record: fixtureRecords('toolhive/audit-events.jsonl')[2]!,
      timePaths: [['logged_at'], ['time']],
    },
    {
      name: 'tracee',
      endpoint: '/ingest',
      record: fixtureRecords('tracee/events.jsonl')[0]!,
      timePaths: [['timestamp']],
    },
    {
      name: 'defender',
      endpoint: '/defender',
      record: fixtureRecords('defender/continuous-export-k8s-alert.json')[0]!,
      timePaths: [['StartTimeUtc'], ['EndTimeUtc'], ['TimeGenerated']],
    },
    {
      name: 'otlp span',
      endpoint: '/v1/traces',
      record: oneSpan(fixtureRecords('otlp/mcp-server-trace.json')[0]!),
      timePaths: [spanPath('startTimeUnixNano')],
    },
  ];
}

/** The path of a field of the first span of an OTLP request. */
export function spanPath(field: string): string[] {
  return ['resourceSpans', '0', 'scopeSpans', '0', 'spans', '0', field];
}

/** An OTLP request cut down to its first span that decodes to an event. */
function oneSpan(request: Json): Json {
  const copy = structuredClone(request) as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
  const rs = copy.resourceSpans[0]!;
  rs.scopeSpans = [rs.scopeSpans[0]!];
  rs.scopeSpans[0]!.spans = [rs.scopeSpans[0]!.spans[0]];
  copy.resourceSpans = [rs];
  return copy as unknown as Json;
}

/** A copy of `record` with `value` at `path` (array indices as strings). */
export function withValue(record: Json, path: readonly string[], value: unknown): Json {
  const copy = structuredClone(record);
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path.at(-1)!] = value;
  return copy;
}

/** Every path to a string leaf of a JSON value. */
export function stringPaths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value === 'string') return [prefix];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => stringPaths(v, [...prefix, k]));
}

/** `depth` nested arrays around one number, as JSON text (no recursion, so any depth). */
export function deepArrayText(depth: number): string {
  return '['.repeat(depth) + '1' + ']'.repeat(depth);
}

/** `depth` nested objects, as JSON text. */
export function deepObjectText(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** A gzip body that inflates to `lines` JSON Lines of `{}`: a few KB on the wire, many MB inflated. */
export function lineBomb(lines: number): Buffer {
  return gzipSync(Buffer.from('{}\n'.repeat(lines)), { level: 9 });
}
