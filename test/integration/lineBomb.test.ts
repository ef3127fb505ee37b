/**
 * Finding 4 of issue 14 against the real process: a 30 KB gzip body that inflates to 31 MB of
 * `{}` lines (10.5 M records) is answered with every record counted, writes two dead-letter rows
 * (not 10.5 M), keeps the process under its memory limit and answering /healthz while it goes
 * through, and SIGTERM still stops it cleanly. (How fast and how much memory: bench section 9.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readTable } from '../../src/sinks/tableFiles.ts';
import { lineBomb } from '../helpers/hostile.ts';
import { startServe, type ServeProcess } from '../helpers/serveProcess.ts';

let serve: ServeProcess | undefined;
afterEach(async () => {
  await serve?.stop('SIGKILL');
  serve = undefined;
});

interface Health {
  status: string;
  transport: { memory: { rssBytes: number; limitBytes: number } };
}

describe('a gzip line bomb posted to causeway serve', () => {
  it('is counted in full, dead-lettered in two rows, and never stops the process answering', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-bomb-'));
    serve = await startServe(['--data-dir', dataDir]);
    const lines = 10_500_000;
    const bomb = lineBomb(lines);
    expect(bomb.length).toBeLessThan(40 * 1024);

    let answered = false;
    const answer = fetch(serve.url('/ingest'), { method: 'POST', body: bomb }).then(async (r) => {
      answered = true;
      return { status: r.status, body: (await r.json()) as { rejected: number; reasons: Record<string, number> } };
    });
    const samples: Health[] = [];
    while (!answered) {
      samples.push((await (await fetch(serve.url('/healthz'))).json()) as Health);
      await new Promise((r) => setTimeout(r, 25));
    }
    const { status, body } = await answer;
    expect(status).toBe(400);
    expect(body.rejected).toBe(lines);
    expect(body.reasons).toEqual({ 'unknown-format': 100_000, 'too-many-records': lines - 100_000 });
    // /healthz answered while the body was going through, and memory stayed under the limit.
    expect(samples.length).toBeGreaterThan(1);
    for (const h of samples) expect(h.transport.memory.rssBytes).toBeLessThan(h.transport.memory.limitBytes);

    const health = (await (await fetch(serve.url('/healthz'))).json()) as Health;
    expect(health.status).toBe('ok');
    const code = await serve.stop('SIGTERM');
    expect(code).toBe(0);
    expect(serve.output()).toMatch(/everything flushed and state saved/);
    const dead = readTable(join(dataDir, 'tables'), 'CausewayPipeline_CL').rows.filter(
      (r) => r.RecordType === 'deadletter',
    );
    expect(dead).toHaveLength(2);
    expect(dead.reduce((n, r) => n + Number(r.RecordCount), 0)).toBe(lines);
  });

  it('stops on SIGTERM while a bomb is going through', async () => {
    serve = await startServe(['--data-dir', mkdtempSync(join(tmpdir(), 'cw-bomb-'))]);
    const pending = fetch(serve.url('/ingest'), { method: 'POST', body: lineBomb(10_500_000) }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    expect(await serve.stop('SIGTERM')).toBe(0);
    await pending;
  });
});
