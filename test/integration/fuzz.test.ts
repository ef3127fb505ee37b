/**
 * The hostile-input fuzz suite of issue 14 (fast-check, bounded): arbitrary bodies (nested
 * thousands deep, huge, torn, glued, gzip, wrong types in every field of real records, impossible
 * times) posted to every endpoint of a real `causeway serve` process and run through `causeway
 * replay`. Whatever the body: no 500, the process alive and under its memory limit, every valid
 * neighbour delivered, every record counted exactly once.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTable } from '../../src/sinks/tableFiles.ts';
import {
  deepArrayText,
  samples,
  spanPath,
  stringPaths,
  withValue,
  type Json,
  type Sample,
} from '../helpers/hostile.ts';
import { BIN, startServe, type ServeProcess } from '../helpers/serveProcess.ts';

/** One line of a body and how many records it is (a glued line is two). */
interface Line {
  text: string;
  records: number;
  /** Records on it that are valid and must be delivered. */
  valid: number;
  /** The line is JSON text (a body with no JSON line at all is one record: it is not JSON Lines). */
  json: boolean;
}

const SAMPLES = samples().filter((s) => s.name !== 'otlp span');
const ENDPOINT_OF: Record<string, string> = {
  'tetragon exec': '/tetragon',
  'tetragon kprobe': '/tetragon',
  'kubescape stdout': '/v1/runtimealerts',
  falco: '/falco',
  defender: '/defender',
};

/** Every path to a leaf or object of a record (where a wrong value can go). */
function allPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return prefix.length ? [prefix] : [];
  return [
    ...(prefix.length ? [prefix] : []),
    ...Object.entries(value).flatMap(([k, v]) => allPaths(v, [...prefix, k])),
  ];
}

const valid = (pool: readonly Sample[]): fc.Arbitrary<Line> =>
  fc.constantFrom(...pool).map((s) => ({ text: JSON.stringify(s.record), records: 1, valid: 1, json: true }));

const hostile = (pool: readonly Sample[]): fc.Arbitrary<Line> =>
  fc.oneof(
    // Nested past the limit, up to thousands of levels.
    fc
      .integer({ min: 70, max: 20_000 })
      .map((d) => ({ text: `{"a":${deepArrayText(d)}}`, records: 1, valid: 0, json: true })),
    // The torn tail or head of a real record.
    fc
      .tuple(fc.constantFrom(...pool), fc.double({ min: 0.05, max: 0.95, noNaN: true }), fc.boolean())
      .map(([s, at, head]) => {
        const text = JSON.stringify(s.record);
        const cut = Math.max(1, Math.floor(text.length * at));
        return { text: head ? text.slice(0, cut) : text.slice(cut), records: 1, valid: 0, json: false };
      }),
    // Garbage with no newline in it (never JSON: it starts with #).
    fc.string({ minLength: 0, maxLength: 200 }).map((s) => ({
      text: `#${s.replace(/[\r\n\u2028\u2029]/g, ' ')}`,
      records: 1,
      valid: 0,
      json: false,
    })),
    // A wrong value in any field of a real record (types, depth, size).
    fc
      .tuple(
        fc.constantFrom(...pool),
        fc.nat(),
        fc.oneof(
          fc.jsonValue({ maxDepth: 4 }),
          fc.constantFrom(1e308, -1, '999999999999999999999999999999', '', null, [], {}, 'x'.repeat(70_000)),
        ),
      )
      .map(([s, i, v]) => {
        const paths = allPaths(s.record);
        const text = JSON.stringify(withValue(s.record, paths[i % paths.length]!, v));
        return { text, records: 1, valid: 0, json: true };
      }),
    // An impossible time.
    fc.constantFrom(...pool).map((s) => ({
      text: JSON.stringify(withValue(s.record, s.timePaths[0]!, '999999999999999999999999999999')),
      records: 1,
      valid: 0,
      json: true,
    })),
    // Two valid records glued on one line: both count, both delivered.
    fc.tuple(fc.constantFrom(...pool), fc.constantFrom(...pool), fc.constantFrom('', ' ', ',')).map(([a, b, glue]) => ({
      text: JSON.stringify(a.record) + glue + JSON.stringify(b.record),
      records: 2,
      valid: 2,
      json: true,
    })),
  );

/** A body: lines of valid and hostile records, maybe gzip. */
const body = (pool: readonly Sample[]) =>
  fc.record({
    lines: fc.array(fc.oneof(valid(pool), hostile(pool)), { minLength: 1, maxLength: 12 }),
    gzip: fc.boolean(),
  });

function encode(b: { lines: Line[]; gzip: boolean }): Buffer {
  const text = Buffer.from(b.lines.map((l) => l.text).join('\n'));
  return b.gzip ? gzipSync(text) : text;
}

/** Where a deep value goes in a request's text. */
const DEEP = '@@deep@@';

const sum = (lines: Line[], key: 'records' | 'valid') => lines.reduce((n, l) => n + l[key], 0);

/** Records of one body: each line's, or one for a body in which no line is JSON. */
const recordsOf = (lines: Line[]) => (lines.some((l) => l.json) ? sum(lines, 'records') : 1);

interface Answer {
  accepted?: number;
  rejected?: number;
  dropped?: number;
}
interface Health {
  transport: { memory: { rssBytes: number; limitBytes: number } };
}

let serve: ServeProcess;
beforeAll(async () => {
  serve = await startServe(['--data-dir', mkdtempSync(join(tmpdir(), 'cw-fuzz-'))], {
    CAUSEWAY_MAX_RECORDS_PER_SECOND: '100000000',
    CAUSEWAY_LOG_LEVEL: 'warn',
  });
});
afterAll(async () => {
  expect(await serve.stop('SIGTERM')).toBe(0);
});

async function aliveAndBounded(): Promise<void> {
  const health = await fetch(serve.url('/healthz'));
  expect(health.status).toBe(200);
  const { memory } = ((await health.json()) as Health).transport;
  expect(memory.rssBytes).toBeLessThan(memory.limitBytes);
}

describe('hostile bodies posted to causeway serve', () => {
  for (const endpoint of ['/ingest', '/tetragon', '/falco', '/v1/runtimealerts', '/defender']) {
    const pool = endpoint === '/ingest' ? SAMPLES : SAMPLES.filter((s) => ENDPOINT_OF[s.name] === endpoint);
    it(`${endpoint}: no 500, every record counted once, every valid neighbour delivered`, async () => {
      await fc.assert(
        fc.asyncProperty(body(pool), async (b) => {
          const res = await fetch(serve.url(endpoint), { method: 'POST', body: encode(b) });
          expect([200, 400]).toContain(res.status);
          const a = (await res.json()) as Answer;
          expect((a.accepted ?? 0) + (a.rejected ?? 0) + (a.dropped ?? 0)).toBe(recordsOf(b.lines));
          expect(a.accepted ?? 0).toBeGreaterThanOrEqual(sum(b.lines, 'valid'));
          await aliveAndBounded();
        }),
        { numRuns: endpoint === '/ingest' ? 30 : 15 },
      );
    });
  }

  it('/v1/traces: hostile spans are rejected alone, valid spans go on', async () => {
    const otlp = samples().find((s) => s.name === 'otlp span')!.record;
    const span = (path: string[], value: unknown) => {
      const r = withValue(otlp, path, value) as { resourceSpans: { scopeSpans: { spans: Json[] }[] }[] };
      return r.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    };
    const good = span(spanPath('name'), 'ok');
    const leaves = stringPaths((otlp as { resourceSpans: unknown[] }).resourceSpans[0]).length;
    expect(leaves).toBeGreaterThan(0);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.constant({ span: good, bad: false }),
            // Nested thousands deep: put into the request's text (never built as a value in the test).
            fc.integer({ min: 70, max: 20_000 }).map((d) => ({
              span: span(spanPath('attributes'), [{ key: 'x', value: { arrayValue: DEEP } }]),
              bad: true,
              depth: d,
            })),
            fc.constant({ span: span(spanPath('startTimeUnixNano'), '999999999999999999999999999999'), bad: true }),
            fc.constant({ span: span(spanPath('traceId'), { not: 'an id' }), bad: true }),
          ),
          { minLength: 1, maxLength: 8 },
        ),
        fc.boolean(),
        async (spans, gzip) => {
          const request = structuredClone(otlp) as { resourceSpans: { scopeSpans: { spans: Json[] }[] }[] };
          request.resourceSpans[0]!.scopeSpans[0]!.spans = spans.map((s) => s.span);
          const text = Buffer.from(
            spans.reduce(
              (json, s) => ('depth' in s ? json.replace(`"${DEEP}"`, deepArrayText(s.depth)) : json),
              JSON.stringify(request),
            ),
          );
          const res = await fetch(serve.url('/v1/traces'), {
            method: 'POST',
            body: gzip ? gzipSync(text) : text,
            headers: { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
          });
          const bad = spans.filter((s) => s.bad).length;
          const answer = (await res.json()) as { partialSuccess?: { rejectedSpans: string } };
          if (bad === spans.length) expect(res.status).toBe(400);
          else {
            expect(res.status).toBe(200);
            expect(Number(answer.partialSuccess?.rejectedSpans ?? 0)).toBe(bad);
          }
          await aliveAndBounded();
        },
      ),
      { numRuns: 12 },
    );
  });
});

/** `causeway replay` to its end: exit code and output. */
function replay(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'replay', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CAUSEWAY_LOG_LEVEL: 'warn' },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('hostile files through causeway replay', () => {
  it('exit 0 with tables, every record counted once, every valid neighbour delivered', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(body(SAMPLES), { minLength: 1, maxLength: 3 }), async (bodies) => {
        const dir = mkdtempSync(join(tmpdir(), 'cw-fuzz-replay-'));
        const files = bodies.map((b, i) => {
          const file = join(dir, `input-${i}.jsonl${b.gzip ? '.gz' : ''}`);
          writeFileSync(file, encode(b));
          return file;
        });
        const r = await replay([...files, '--out', join(dir, 'out')]);
        expect(r.code, r.out).toBe(0);
        const m = /Records: delivered (\d+).*? · rejected (\d+).*? · errored (\d+).*? · dropped (\d+)/.exec(r.out)!;
        const [delivered, rejected, errored, dropped] = m.slice(1).map(Number) as [number, number, number, number];
        expect(delivered + rejected + errored + dropped).toBe(bodies.reduce((n, b) => n + recordsOf(b.lines), 0));
        expect(delivered).toBeGreaterThanOrEqual(
          sum(
            bodies.flatMap((b) => b.lines),
            'valid',
          ),
        );
        expect(r.out).not.toMatch(/^\s+at /m);
        const dead = readTable(join(dir, 'out'), 'CausewayPipeline_CL').rows.filter(
          (row) => row.RecordType === 'deadletter',
        );
        expect(dead.reduce((n, row) => n + Number(row.RecordCount), 0)).toBe(rejected);
      }),
      { numRuns: 4 },
    );
  }, 120_000);
});
