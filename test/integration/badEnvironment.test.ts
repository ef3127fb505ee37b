/**
 * Finding 11 of issue 14: a bad environment (a data directory that is a file or cannot be made,
 * an --out that is a file, a port in use) ends the process with exit 2 and a message that names
 * the setting and the fix: never a stack trace, never a hang. HEAD /healthz answers like GET.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixturePath } from '../helpers/fixtures.ts';
import { BIN, startServe, type ServeProcess } from '../helpers/serveProcess.ts';

/** Runs the CLI to its end: exit code and everything it wrote. */
function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

const aFile = () => {
  const file = join(mkdtempSync(join(tmpdir(), 'cw-env-')), 'not-a-dir');
  writeFileSync(file, 'x');
  return file;
};

function expectConfigMessage(r: { code: number | null; out: string }, setting: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.out).toMatch(setting);
  expect(r.out).toMatch(/Fix:/);
  expect(r.out).not.toMatch(/^\s+at /m);
}

let serve: ServeProcess | undefined;
afterEach(async () => {
  await serve?.stop('SIGKILL');
  serve = undefined;
});

describe('a bad environment', () => {
  it('serve --data-dir <a file>: exit 2 naming --data-dir', async () => {
    const r = await cli(['serve', '--no-demo', '--port', '0', '--data-dir', aFile()]);
    expectConfigMessage(r, /--data-dir: .*is a file, not a directory/);
  });

  it('serve --data-dir /proc/x: exit 2 naming --data-dir, no hang', async () => {
    const r = await cli(['serve', '--no-demo', '--port', '0', '--data-dir', '/proc/causeway-x']);
    expectConfigMessage(r, /--data-dir: .*cannot be created/);
  });

  it('replay --out <a file>: exit 2 naming --out', async () => {
    const r = await cli(['replay', fixturePath('falco/json-output.jsonl'), '--out', aFile()]);
    expectConfigMessage(r, /--out: .*is a file, not a directory/);
  });

  it('serve --port <in use>: exit 2 naming --port', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const r = await cli([
        'serve',
        '--no-demo',
        '--port',
        String(port),
        '--data-dir',
        mkdtempSync(join(tmpdir(), 'cw-env-')),
      ]);
      expectConfigMessage(r, new RegExp(`--port: port ${port} on 127\\.0\\.0\\.1 is in use`));
    } finally {
      blocker.close();
    }
  });
});

describe('HEAD /healthz', () => {
  it('answers like GET, without a body', async () => {
    serve = await startServe(['--data-dir', mkdtempSync(join(tmpdir(), 'cw-env-'))]);
    const get = await fetch(serve.url('/healthz'));
    const head = await fetch(serve.url('/healthz'), { method: 'HEAD' });
    expect(head.status).toBe(get.status);
    expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
    expect(await head.text()).toBe('');
  });
});
