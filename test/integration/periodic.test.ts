/**
 * Finding 1 of issue 14, the timer: a periodic step that fails (a snapshot the state store
 * refuses) is logged and skipped, and neither the other steps nor later requests pay for it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalHost } from '../../src/hosts/local/localHost.ts';
import type { StateStore } from '../../src/pipeline/stateStore.ts';
import { readFixture } from '../helpers/fixtures.ts';
import { inProcessPipeline, MemorySink } from '../helpers/pipeline.ts';

let host: LocalHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

/** A state store that refuses every save. */
class RefusingStore implements StateStore {
  saves = 0;
  async load<T>(): Promise<T | undefined> {
    return undefined;
  }
  async save(): Promise<void> {
    this.saves++;
    throw new Error('the disk is full');
  }
}

describe('the local host timer', () => {
  it('goes on answering requests after a snapshot fails', async () => {
    const store = new RefusingStore();
    host = new LocalHost({
      pipeline: inProcessPipeline(new MemorySink(), undefined, store),
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 1024 * 1024,
      tickMs: 30,
    });
    const port = await host.listen();
    const post = () =>
      fetch(`http://127.0.0.1:${port}/falco`, { method: 'POST', body: readFixture('falco/json-output.jsonl') });
    expect((await post()).status).toBe(200);
    while (store.saves === 0) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 60));
    expect(host.health().lastError).toMatch(/snapshot: the disk is full/);
    expect((await post()).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });
});
