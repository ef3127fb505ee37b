/**
 * Finding 4 of issue 14 at the local host: bounded work per input and per process. An endpoint
 * that sends more than limits.maxRecordsPerSecond is answered 429 with Retry-After until its
 * budget refills, and above limits.maxMemoryMB new bodies are answered 503 without being read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalHost } from '../../src/hosts/local/localHost.ts';
import { readFixture } from '../helpers/fixtures.ts';
import { inProcessPipeline, MemorySink } from '../helpers/pipeline.ts';

let host: LocalHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

async function start(limits: { maxRecordsPerSecond?: number; maxMemoryMB?: number }, rss?: () => number) {
  host = new LocalHost({
    pipeline: inProcessPipeline(new MemorySink()),
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 1024 * 1024,
    tickMs: 60_000,
    limits,
    rss,
  });
  const port = await host.listen();
  return (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body, headers });
}

describe('admission at the local host', () => {
  it('answers 429 with Retry-After once an endpoint is over its records per second, other endpoints unaffected', async () => {
    const post = await start({ maxRecordsPerSecond: 10 });
    const lines = '{}\n'.repeat(50);
    expect((await post('/tetragon', lines)).status).toBe(400);
    const throttled = await post('/tetragon', lines);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await throttled.json()) as { error: string }).error).toMatch(/limits\.maxRecordsPerSecond/);
    expect((await post('/falco', readFixture('falco/json-output.jsonl'))).status).toBe(200);
    expect(host!.health().transport?.throttled).toBe(1);
  });

  it('answers OTLP throttling in the OTLP encoding with Retry-After', async () => {
    const post = await start({ maxRecordsPerSecond: 1 });
    await post('/v1/traces', readFixture('otlp/genai-agent-trace.json'), { 'content-type': 'application/json' });
    const r = await post('/v1/traces', readFixture('otlp/genai-agent-trace.json'), {
      'content-type': 'application/json',
    });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).not.toBeNull();
    expect(((await r.json()) as { code: number }).code).toBe(8);
  });

  it('answers 503 with Retry-After, body unread, while memory is above limits.maxMemoryMB', async () => {
    let rss = 2000 * 1024 * 1024;
    const post = await start({ maxMemoryMB: 1024 }, () => rss);
    const refused = await post('/falco', readFixture('falco/json-output.jsonl'));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: string }).error).toMatch(/limits\.maxMemoryMB/);
    expect(host!.health().transport?.requests).toBe(0);
    rss = 100 * 1024 * 1024;
    expect((await post('/falco', readFixture('falco/json-output.jsonl'))).status).toBe(200);
  });
});
