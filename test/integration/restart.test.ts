/**
 * Finding 10 of issue 14: after a restart the local viewer shows the stories the tables hold,
 * with their evidence, before anything new arrives.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readFixture } from '../helpers/fixtures.ts';
import { startServe, type ServeProcess } from '../helpers/serveProcess.ts';

let serve: ServeProcess | undefined;
afterEach(async () => {
  await serve?.stop('SIGKILL');
  serve = undefined;
});

interface Summary {
  storyId: string;
  title: string;
}

describe('the viewer after a restart', () => {
  it('lists the stories the tables hold and shows their pages with evidence', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cw-restart-'));
    serve = await startServe(['--data-dir', dataDir]);
    expect(
      (await fetch(serve.url('/falco'), { method: 'POST', body: readFixture('falco/json-output.jsonl') })).status,
    ).toBe(200);
    const before = (await (await fetch(serve.url('/api/stories'))).json()) as Summary[];
    expect(before.length).toBeGreaterThan(0);
    expect(await serve.stop('SIGTERM')).toBe(0);

    serve = await startServe(['--data-dir', dataDir]);
    const after = (await (await fetch(serve.url('/api/stories'))).json()) as Summary[];
    // Everything shown before, and what the graceful stop flushed after it.
    expect(after.map((s) => s.storyId)).toEqual(expect.arrayContaining(before.map((s) => s.storyId)));
    const index = await (await fetch(serve.url('/'))).text();
    expect(index).toContain(before[0]!.storyId);
    const page = await fetch(serve.url(`/story/${encodeURIComponent(before[0]!.storyId)}`));
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/shadow|billing/);
  });
});
