/**
 * Findings 6 and 7 of issue 14, end to end: every secret kind the redactor knows is planted into
 * every string field of every record of every source format (our fixtures, and the display fields
 * of the demo attack so that they reach stories), then run through `causeway replay` and posted to
 * `causeway serve`. No secret appears in any table, any log line, any HTTP answer, any viewer page
 * or the HTML report.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoAttack } from '../../src/demo/scenarios.ts';
import { fixtureFiles, fixtureRecords } from '../helpers/fixtures.ts';
import { stringPaths, withValue, type Json } from '../helpers/hostile.ts';
import { leaks, planted, SECRETS } from '../helpers/secrets.ts';
import { BIN, startServe } from '../helpers/serveProcess.ts';

const FORMATS = ['tetragon', 'kubescape', 'falco', 'otlp', 'toolhive', 'tracee', 'defender'];
const BASE = Date.parse('2026-11-20T10:00:00Z');
/** Fields that link records (ids, times): planted only one at a time, so the rest still forms stories. */
const LINKING = /time|Time|timestamp|Nano|[iI]d$|_id$|uuid|pid|ppid|Pid$/;

const secret = (i: number) => SECRETS[i % SECRETS.length]!;
const valueAt = (record: Json, path: string[]) => path.reduce<unknown>((n, k) => (n as Json)[k], record) as string;

/** A body per fixture file: every record, then one copy per string field with a secret in that field. */
function fixtureBodies(): { name: string; endpoint: string; body: string }[] {
  return FORMATS.flatMap((folder) =>
    fixtureFiles(folder).map((file) => {
      const lines: string[] = [];
      fixtureRecords(file).forEach((record, r) => {
        lines.push(JSON.stringify(record));
        stringPaths(record).forEach((path, i) =>
          lines.push(JSON.stringify(withValue(record, path, planted(valueAt(record, path), secret(i + r))))),
        );
        // And every field at once, each with its own kind of secret.
        let all = record;
        stringPaths(record).forEach(
          (path, i) => (all = withValue(all, path, planted(valueAt(record, path), secret(i)))),
        );
        lines.push(JSON.stringify(all));
      });
      return { name: file, endpoint: '/ingest', body: lines.join('\n') };
    }),
  );
}

/** The demo attack with a secret after every display field (names, paths, command lines, text). */
function demoBodies(): { name: string; endpoint: string; body: string }[] {
  let n = 0;
  const plant = (value: unknown, key: string): unknown => {
    if (typeof value === 'string') return LINKING.test(key) ? value : planted(value, secret(n++));
    if (Array.isArray(value)) return value.map((v) => plant(v, key));
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plant(v, k)]));
    return value;
  };
  return demoAttack('aks-demo', BASE).map((input, i) => {
    const text = String(input.body).trim();
    const records = text.startsWith('{') && !text.includes('\n') ? [text] : text.split('\n').filter(Boolean);
    return {
      name: `demo/${i}/${input.input}`,
      endpoint: '/ingest',
      body: records.map((line) => JSON.stringify(plant(JSON.parse(line), ''))).join('\n'),
    };
  });
}

/** Runs the CLI to its end. */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** Every table file of a directory, as text. */
function tablesText(dir: string): string {
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
}

const ENV = { CAUSEWAY_REDACTION_EXCERPTS: 'true', CAUSEWAY_LOG_LEVEL: 'debug' };

describe('secrets planted in every field of every format', () => {
  const bodies = [...fixtureBodies(), ...demoBodies()];

  it('appear in no table, log line or HTML report of causeway replay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-planted-'));
    const files = bodies.map((b, i) => {
      const file = join(dir, `input-${i}.jsonl`);
      writeFileSync(file, b.body);
      return file;
    });
    const r = await cli(['replay', ...files, '--out', join(dir, 'out')], ENV);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/Stories: [1-9]/);
    const html = join(dir, 'report.html');
    const report = await cli(['report', join(dir, 'out'), '--html', html], ENV);
    expect(report.code, report.out).toBe(0);
    expect(leaks(r.out)).toEqual([]);
    expect(leaks(report.out)).toEqual([]);
    expect(leaks(tablesText(join(dir, 'out')))).toEqual([]);
    expect(leaks(readFileSync(html, 'utf8'))).toEqual([]);
    // The planted fields did reach the stories and their evidence, each kind redacted.
    const shown = ['CausewayStories_CL', 'CausewayEvidence_CL']
      .map((t) => readFileSync(join(dir, 'out', `${t}.jsonl`), 'utf8'))
      .join('\n');
    for (const s of SECRETS) expect(shown, s.kind).toContain(`REDACTED:${s.kind}`);
  });

  it('appear in no table, log line, HTTP answer or viewer page of causeway serve', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-planted-'));
    const serve = await startServe(['--data-dir', dataDir], { ...ENV, CAUSEWAY_MAX_RECORDS_PER_SECOND: '100000000' });
    try {
      const answers: string[] = [];
      for (const b of bodies) {
        const res = await fetch(serve.url(b.endpoint), { method: 'POST', body: b.body });
        expect(res.status, b.name).toBeLessThan(500);
        answers.push(await res.text());
      }
      const list = (await (await fetch(serve.url('/api/stories'))).json()) as { storyId: string }[];
      expect(list.length).toBeGreaterThan(0);
      const pages = [await (await fetch(serve.url('/'))).text(), await (await fetch(serve.url('/healthz'))).text()];
      for (const s of list)
        pages.push(await (await fetch(serve.url(`/story/${encodeURIComponent(s.storyId)}`))).text());
      expect(await serve.stop('SIGTERM')).toBe(0);
      expect(leaks(answers.join('\n'))).toEqual([]);
      expect(leaks(pages.join('\n'))).toEqual([]);
      expect(leaks(serve.output())).toEqual([]);
      expect(leaks(tablesText(join(dataDir, 'tables')))).toEqual([]);
    } finally {
      await serve.stop('SIGKILL');
    }
  });
});
