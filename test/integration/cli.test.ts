/** The `causeway` CLI: replay writes schema-exact tables; garbage is dead-lettered; serve stops cleanly. */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readTable } from '../../src/sinks/tableFiles.ts';
import { main } from '../../src/cli/main.ts';
import type { TableName } from '../../src/sinks/tables.ts';
import { fixtureFiles, fixturePath } from '../helpers/fixtures.ts';
import { checkRow } from '../helpers/checkRow.ts';

const BIN = new URL('../../bin/causeway.mjs', import.meta.url).pathname;

/**
 * Every Tetragon fixture: 19 records delivered (17 events, 2 health notices), and one story: in
 * orders-api a shell's cat reads ~/.aws/credentials, then its curl connects to a public address.
 */
const TETRAGON = fixtureFiles('tetragon').map(fixturePath);

function readRows(dir: string, table: TableName): Record<string, unknown>[] {
  return readTable(dir, table).rows;
}

async function quietly(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  try {
    return { code: await fn(), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('causeway replay', () => {
  it('writes table files whose rows match schemas/tables, with a summary', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cw-replay-'));
    const r = await quietly(() => main(['replay', ...TETRAGON, '--out', out], {}));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /Records: delivered 19 \(ok 17, health 2\) · rejected 0 · errored 0 · dropped 2 \(filtered 2\)/,
    );
    expect(r.out).toMatch(/Stories: 1 \(High 1/);
    const stories = readRows(out, 'CausewayStories_CL');
    const evidence = readRows(out, 'CausewayEvidence_CL');
    expect(stories.length).toBeGreaterThan(0);
    for (const row of stories) checkRow('CausewayStories_CL', row);
    for (const row of evidence) checkRow('CausewayEvidence_CL', row);
    expect(evidence.map((e) => e.TargetFilePath)).toContain('/home/node/.aws/credentials');
  });

  it('dead-letters a garbage file with reason codes and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-replay-'));
    const garbage = join(dir, 'garbage.jsonl');
    writeFileSync(
      garbage,
      '{"hello":"secret-value-1"}\nnot json at all\n{"rule":"x"}\n' +
        Buffer.from([0xff, 0xfe, 0x00]).toString('latin1') +
        '\n',
    );
    const r = await quietly(() => main(['replay', garbage, '--out', join(dir, 'out')], {}));
    expect(r.code).toBe(0);
    const dead = readRows(join(dir, 'out'), 'CausewayPipeline_CL');
    // One row per reason per body, each counting its records.
    expect(dead.map((d) => [d.ReasonCode, d.RecordCount]).sort()).toEqual([
      ['malformed-json', 2],
      ['unknown-format', 2],
    ]);
    for (const row of dead) checkRow('CausewayPipeline_CL', row);
    // Reasons say what and where, never the payload (V8 quotes it in its JSON errors).
    expect(JSON.stringify(dead)).not.toContain('secret-value-1');
    expect(JSON.stringify(dead)).not.toContain('not json at all');
  });

  it('exits 2 with the setting and the fix for a bad configuration', async () => {
    const r = await quietly(() =>
      main(['replay', fixturePath('tetragon/export.jsonl'), '--out', tmpdir()], {
        CAUSEWAY_STORY_IDLE_MINUTES: 'soon',
      }),
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/CAUSEWAY_STORY_IDLE_MINUTES: must be integer \(got "soon"\)\. Fix:/);
  });

  it('exits 2 with usage when --out is missing', async () => {
    const r = await quietly(() => main(['replay', fixturePath('tetragon/export.jsonl')], {}));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/needs --out/);
    expect(r.err).toMatch(/Usage: causeway replay/);
  });
});

describe('causeway help', () => {
  it('prints the overview for --help, -h and help, exiting 0', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await quietly(() => main(argv, {}));
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/Usage: causeway <command>/);
      expect(r.out).toMatch(/replay\s+Run the whole pipeline/);
    }
  });

  it("prints a command's help for <command> --help / -h and help <command>, exiting 0", async () => {
    for (const argv of [
      ['replay', '--help'],
      ['replay', '-h'],
      ['help', 'replay'],
      ['replay', 'x.json', '-h'],
    ]) {
      const r = await quietly(() => main(argv, {}));
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/Usage: causeway replay <files\.\.\.>/);
      expect(r.out).toMatch(/--out <dir>/);
    }
  });

  it('exits 2 with the usage for an unknown option or command, or none', async () => {
    const unknownOption = await quietly(() => main(['replay', 'x.json', '--nope'], {}));
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.err).toMatch(/Unknown option '--nope'[\s\S]*Usage: causeway replay/);
    const unknownCommand = await quietly(() => main(['frobnicate'], {}));
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.err).toMatch(/unknown command "frobnicate"[\s\S]*Usage: causeway <command>/);
    expect((await quietly(() => main([], {}))).code).toBe(2);
  });

  it('the published bin runs the compiled CLI and prints help with exit 0', async () => {
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', (code) => resolve({ code, out }));
    });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Usage: causeway <command>/);
  });
});

describe('causeway report', () => {
  it('turns a tables directory into one HTML file with every story, skipping a torn line', async () => {
    const out = mkdtempSync(join(tmpdir(), 'cw-report-'));
    expect((await quietly(() => main(['replay', ...TETRAGON, '--out', out], {}))).code).toBe(0);
    appendFileSync(join(out, 'CausewayEvidence_CL.jsonl'), '{"StoryId": "torn');
    const html = join(out, 'stories.html');
    const r = await quietly(() => main(['report', out, '--html', html], {}));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Wrote 1 stories to .*\(skipped 1 lines/);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('.aws/credentials');
    expect(page).not.toMatch(/<script/i);
    expect(page).toMatch(/<svg class="graph"/);
  });

  it('exits 2 naming the missing table file', async () => {
    const r = await quietly(() =>
      main(['report', mkdtempSync(join(tmpdir(), 'cw-report-')), '--html', '/dev/null'], {}),
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/CausewayStories_CL.jsonl does not exist/);
  });
});

describe('causeway serve', () => {
  it('serves /healthz, replays the demo, and on SIGINT flushes and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-serve-'));
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
      env: { ...process.env, CAUSEWAY_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000);
      child.stdout.on('data', () => {
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m && /Demo: replayed/.test(out)) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
      status: string;
      transport: { stories: number };
    };
    expect(health.status).toBe('ok');
    expect(health.transport.stories).toBeGreaterThan(0);
    expect(out).toMatch(/\[High \d+\]/);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', resolve);
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
    expect(out).toMatch(/everything flushed and state saved/);
    expect(readRows(join(dataDir, 'tables'), 'CausewayStories_CL').length).toBeGreaterThan(0);
  });
});

describe('causeway replay to Log Analytics', () => {
  it('delivers through the Logs Ingestion API the same story and evidence rows as --out', async () => {
    const { startLogsIngestionServer } = await import('../helpers/logsIngestionServer.ts');
    const { startTokenEndpoint } = await import('../helpers/tokenEndpoint.ts');
    const { testCertificate } = await import('../helpers/tls.ts');
    const server = await startLogsIngestionServer();
    const tokens = await startTokenEndpoint((t) => server.acceptedTokens.add(t));
    try {
      const files = TETRAGON;
      const out = mkdtempSync(join(tmpdir(), 'cw-replay-la-'));
      expect((await quietly(() => main(['replay', ...files, '--out', out], {}))).code).toBe(0);
      const env = {
        ...process.env,
        NODE_EXTRA_CA_CERTS: testCertificate().certPath,
        IDENTITY_ENDPOINT: tokens.endpoint,
        IDENTITY_HEADER: tokens.header,
        CAUSEWAY_LOG_LEVEL: 'warn',
      };
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(
          process.execPath,
          [BIN, 'replay', ...files, '--logs-ingestion-endpoint', server.url, '--dcr', server.dcrImmutableId],
          { env, stdio: 'ignore' },
        );
        child.on('exit', resolve);
      });
      expect(code).toBe(0);
      for (const table of ['CausewayStories_CL', 'CausewayEvidence_CL'] as const) {
        expect(server.rows(table).length).toBeGreaterThan(0);
        expect(server.rows(table)).toEqual(readRows(out, table));
      }
    } finally {
      await server.close();
      await tokens.close();
    }
  });
});
