/**
 * The cloud-audit input in the hosts: `POST /cloud` on the local host takes the Diagnostic Settings
 * envelope and refuses sensor data, `GET /healthz` reports the feeds, and the Functions health
 * function reports the feeds of story partitions another instance owns, from their snapshots.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { functionsHealth } from '../../src/hosts/functions/trigger.ts';
import { LocalHost } from '../../src/hosts/local/localHost.ts';
import { StageRunner } from '../../src/pipeline/stageRunner.ts';
import { PUBLISHED_ALL } from '../../src/pipeline/publisher.ts';
import { silentLogger } from '../../src/telemetry/log.ts';
import { readFixture } from '../helpers/fixtures.ts';
import { inProcessPipeline, MemorySink, MemoryStateStore, signals, testConfig } from '../helpers/pipeline.ts';

let host: LocalHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

describe('the cloud-audit input', () => {
  it('POST /cloud accepts the Diagnostic Settings envelope, refuses sensor data, and /healthz lists the feeds', async () => {
    host = new LocalHost({
      pipeline: inProcessPipeline(new MemorySink()),
      host: '127.0.0.1',
      port: 0,
      maxBodyBytes: 1024 * 1024,
      tickMs: 60_000,
    });
    const port = await host.listen();
    const post = (body: Buffer) => fetch(`http://127.0.0.1:${port}/cloud`, { method: 'POST', body });
    const audit = await post(readFixture('cloud/aks-kube-audit.json'));
    expect(audit.status).toBe(200);
    expect(await audit.json()).toMatchObject({
      accepted: 3,
      dropped: 4,
      reasons: { dropped: { duplicate: 1, filtered: 3 } },
    });
    expect((await post(readFixture('cloud/entra-signins.json'))).status).toBe(200);
    const sensor = await post(readFixture('falco/json-output.jsonl'));
    expect(sensor.status).toBe(400);
    expect(JSON.stringify(await sensor.json())).toMatch(/unknown-format/);

    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
      feeds: { silent: number; list: { scope: string; feed: string; status: string; events: number }[] };
    };
    expect(health.feeds.silent).toBe(0);
    expect(health.feeds.list.map((f) => `${f.scope} ${f.feed} ${f.status} ${f.events}`).sort()).toEqual([
      'aks-agents aks.kube-audit learning 4',
      'aks-agents aks.kube-audit-admin learning 1',
      'tenant:7c1e9f2a-3b4d-4e5f-8a6b-9c0d1e2f3a4b entra.ManagedIdentitySignInLogs learning 1',
      'tenant:7c1e9f2a-3b4d-4e5f-8a6b-9c0d1e2f3a4b entra.ServicePrincipalSignInLogs learning 2',
    ]);
  });

  it('the Functions health function reads the feeds of partitions this instance does not own from their snapshots', async () => {
    const state = new MemoryStateStore();
    const config = testConfig({ CAUSEWAY_STORY_PARTITIONS: '2' });
    const pipeline = inProcessPipeline(new MemorySink(), config, state);
    await pipeline.submit([{ body: readFixture('cloud/keyvault-audit.json'), input: 'cloud-audit' }]);
    await pipeline.snapshot();

    // A fresh instance (as the Functions health probe lands on): no partition in memory.
    const runner = new StageRunner({
      config,
      signals: signals(),
      sink: new MemorySink(),
      publisher: { publish: async () => PUBLISHED_ALL },
      state,
      logger: silentLogger,
      clock: Date.now,
      host: 'functions',
    });
    expect(runner.owner.feedStatus()).toEqual([]);
    const report = await functionsHealth(runner);
    expect(report.feeds.list).toEqual([
      expect.objectContaining({
        scope: 'keyvault:kv-agents-prod',
        feed: 'keyvault.AuditEvent',
        status: 'learning',
        events: 4,
      }),
    ]);
  });
});
