/** The local HTTP host: endpoints, body limit, bad bodies, health, graceful close. */
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/hosts/fileStateStore.ts';
import { LocalHost } from '../../src/hosts/local/localHost.ts';
import { fixtureFiles, readFixture } from '../helpers/fixtures.ts';
import { inProcessPipeline, MemorySink } from '../helpers/pipeline.ts';

let host: LocalHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

async function start(options: { maxBodyBytes?: number; stateDir?: string } = {}) {
  const sink = new MemorySink();
  const state = options.stateDir ? new FileStateStore(options.stateDir) : undefined;
  host = new LocalHost({
    pipeline: inProcessPipeline(sink, undefined, state),
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    tickMs: 60_000,
  });
  const port = await host.listen();
  const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
  return { sink, port, post };
}

describe('LocalHost', () => {
  it('accepts each product on its endpoint', async () => {
    const { post } = await start();
    const cases: [string, string][] = [
      ['/tetragon', 'tetragon/export.jsonl'],
      ['/falco', 'falco/falcosidekick.jsonl'],
      ['/defender', 'defender/continuous-export-k8s-alert.json'],
      ['/ingest', 'toolhive/audit-events.jsonl'],
    ];
    for (const [path, file] of cases) {
      const res = await post(path, readFixture(file));
      expect(res.status, path).toBe(200);
      expect(((await res.json()) as { accepted: number }).accepted, path).toBeGreaterThan(0);
    }
  });

  it('answers OTLP with the OTLP response shape, and a bad protobuf body with a protobuf Status', async () => {
    const { post } = await start();
    const ok = await post('/v1/traces', readFixture('otlp/genai-agent-trace.json'));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({});
    const proto = await post('/v1/traces', Buffer.from([0x0a, 0x01]), { 'content-type': 'application/x-protobuf' });
    expect(proto.status).toBe(400);
    expect(proto.headers.get('content-type')).toBe('application/x-protobuf');
  });

  it('answers 400 with the reason for an undecodable body and dead-letters it', async () => {
    const { post, sink } = await start();
    const res = await post('/ingest', 'this is not json');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ reasons: { 'malformed-json': 1 }, deadLettered: true });
    expect(sink.rows('CausewayPipeline_CL')[0]).toMatchObject({
      RecordType: 'deadletter',
      ReasonCode: 'malformed-json',
      Input: 'POST /ingest',
    });
    expect(JSON.stringify(sink.rows('CausewayPipeline_CL'))).not.toContain('this is not json');
  });

  it('rejects a record posted to the wrong product endpoint, naming both', async () => {
    const { post } = await start();
    const res = await post('/falco', readFixture('tetragon/enterprise-connect.jsonl'));
    expect(res.status).toBe(400);
    const { reasons } = (await res.json()) as { reasons: Record<string, number> };
    expect(reasons).toEqual({ 'unknown-format': 3 });
  });

  it('answers 413 past the body limit', async () => {
    const { post } = await start({ maxBodyBytes: 2048 });
    const res = await post('/ingest', JSON.stringify({ a: 'x'.repeat(5000) }));
    expect(res.status).toBe(413);
  });

  it('reports counters on /healthz and 404 with the endpoint list elsewhere', async () => {
    const { post, port } = await start();
    await post('/tetragon', readFixture('tetragon/exec-corrupted-parent.json'));
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
      status: string;
      transport: { records: { counts: { delivered: number } } };
    };
    expect(health.status).toBe('ok');
    expect(health.transport.records.counts.delivered).toBe(1);
    const missing = await fetch(`http://127.0.0.1:${port}/nope`);
    expect(missing.status).toBe(404);
  });

  it('serves the viewer with a strict content security policy, the list as JSON, and 404/400 for unknown or malformed story ids', async () => {
    const { post, port } = await start();
    for (const f of fixtureFiles('tetragon')) await post('/tetragon', readFixture(f));
    const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    const list = (await (await get('/api/stories')).json()) as { storyId: string; severity: string }[];
    expect(list.length).toBeGreaterThan(0);
    const page = await get(`/story/${list[0]!.storyId}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<svg class="graph"');
    expect((await get('/story/00000000-0000-0000-0000-000000000000')).status).toBe(404);
    expect((await get('/story/%E0%A4%A')).status).toBe(400);
    expect((await get('/static/live.js')).headers.get('content-type')).toMatch(/javascript/);
  });

  it('drains on close: flushes parked events and writes state snapshots', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'cw-state-'));
    const { post } = await start({ stateDir });
    await post('/tetragon', readFixture('tetragon/enterprise-connect.jsonl'));
    await host!.close();
    host = undefined;
    expect(existsSync(join(stateDir, 'workload', '0.json'))).toBe(true);
    expect(existsSync(join(stateDir, 'story', '0.json'))).toBe(true);
  });
});
