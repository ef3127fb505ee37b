/**
 * The Azure Functions app end to end on local stand-ins: the registered handlers (functions/) invoked
 * in-process with real @azure/functions InvocationContexts and Event Hubs-shaped trigger metadata,
 * Blob state in Azurite, rows through the real LogsIngestionClient to the HTTPS stand-in with a
 * managed identity token. Faults: throttling and 5xx during delivery, a crash between delivery and
 * snapshot, ownership moving to a new instance.
 */
import { Agent } from 'node:https';
import { DefaultAzureCredential } from '@azure/identity';
import { InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoAttack } from '../../src/demo/scenarios.ts';
import { StageRunner } from '../../src/pipeline/stageRunner.ts';
import { functionsHealth, type TriggerMetadata } from '../../src/hosts/functions/trigger.ts';
import type { StateStore } from '../../src/pipeline/stateStore.ts';
import { setFunctionsRuntime } from '../../src/hosts/functions/runtime.ts';
import { BlobStateStore } from '../../src/hosts/functions/blobStateStore.ts';
import { LogAnalyticsSink } from '../../src/sinks/logAnalytics.ts';
import { silentLogger } from '../../src/telemetry/log.ts';
import * as functions from '../../functions/index.ts';
import { startAzurite, type Azurite } from '../helpers/azurite.ts';
import { identicalById, latestStories } from '../helpers/rows.ts';
import { MemoryHubs } from '../helpers/hubs.ts';
import { startLogsIngestionServer, type LogsIngestionServer } from '../helpers/logsIngestionServer.ts';
import { liveStories, runScenario, signals, testConfig } from '../helpers/pipeline.ts';
import { testCertificate } from '../helpers/tls.ts';
import { startTokenEndpoint, type TokenEndpoint } from '../helpers/tokenEndpoint.ts';

const BASE = Date.parse('2026-11-20T10:00:00Z');
let azurite: Azurite;
let server: LogsIngestionServer;
let tokens: TokenEndpoint;
const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };

beforeAll(async () => {
  [azurite, server] = await Promise.all([startAzurite(), startLogsIngestionServer()]);
  tokens = await startTokenEndpoint((token) => server.acceptedTokens.add(token));
  process.env.IDENTITY_ENDPOINT = tokens.endpoint;
  process.env.IDENTITY_HEADER = tokens.header;
});

afterAll(async () => {
  await Promise.all([azurite.stop(), server.close(), tokens.close()]);
  process.env.IDENTITY_ENDPOINT = saved.endpoint;
  process.env.IDENTITY_HEADER = saved.header;
  setFunctionsRuntime(undefined);
});

beforeEach(() => {
  server.uploads.length = 0;
  server.log.length = 0;
  server.faults.length = 0;
});

let containerNo = 0;

/** One Function App per cluster (infra/main.bicep clusterName): the app's cluster is the scenario's. */
async function runtime(
  hubs: MemoryHubs,
  state?: StateStore,
  cluster = 'aks-demo',
  snapshots: { everyMs: number; clock?: () => number } = { everyMs: 0 },
): Promise<{ rt: StageRunner; state: StateStore }> {
  const container = azurite.blobs.getContainerClient(`causeway-state-${++containerNo}`);
  await container.createIfNotExists();
  const store = state ?? new BlobStateStore(container);
  const config = testConfig({
    CAUSEWAY_CLUSTER: cluster,
    CAUSEWAY_STORY_PARTITIONS: String(hubs.count),
    CAUSEWAY_WORKLOAD_PARTITIONS: String(hubs.count),
    CAUSEWAY_LOGS_INGESTION_ENDPOINT: server.url,
    CAUSEWAY_DCR_IMMUTABLE_ID: server.dcrImmutableId,
  });
  const sink = new LogAnalyticsSink({
    endpoint: server.url,
    dcrImmutableId: server.dcrImmutableId,
    credential: new DefaultAzureCredential(),
    maxBatchBytes: 1_000_000,
    maxAttempts: 2,
    logger: silentLogger,
    clientOptions: { agent: new Agent({ ca: testCertificate().cert }) },
    sleep: async () => {},
  });
  const rt = new StageRunner({
    snapshotEveryMs: snapshots.everyMs,
    gaps: snapshots.everyMs > 0 ? hubs : undefined,
    flushRowsEachBatch: true,
    config,
    signals: signals(),
    sink,
    publisher: hubs,
    state: store,
    logger: silentLogger,
    clock: snapshots.clock ?? (() => BASE + 3_600_000),
    host: 'functions-test',
  });
  setFunctionsRuntime(rt);
  return { rt, state: store };
}

function context(name: string, meta: TriggerMetadata): InvocationContext {
  return new InvocationContext({
    functionName: name,
    invocationId: `${name}-${Math.random().toString(16).slice(2)}`,
    triggerMetadata: meta as Record<string, unknown>,
  });
}

const HANDLER: Record<string, (m: unknown, c: InvocationContext) => Promise<void>> = {
  tetragon: functions.ingestRuntimeSensors,
  kubescape: functions.ingestRuntimeSensors,
  falco: functions.ingestRuntimeSensors,
  defender: functions.ingestDefenderAlerts,
  otlp: functions.ingestAgentTelemetry,
};

/** Sends the scenario to the input hubs' handlers, one message per invocation, like the extension. */
async function ingestAll(inputs: { input: string; body: string }[]): Promise<void> {
  let seq = 0;
  for (const i of inputs)
    await HANDLER[i.input]!(
      [Buffer.from(i.body)],
      context(`ingest-${i.input}`, { partitionContext: { partitionId: '0' }, sequenceNumberArray: [seq++] }),
    );
}

/**
 * Drains the internal hubs through the stage handlers in batches, retrying a batch whose handler
 * throws (the function's retry policy); `cursor` is the checkpoint per partition.
 */
async function pump(
  hubs: MemoryHubs,
  options: { batch?: number; onStoryBatch?: (n: number) => void } = {},
  cursor = { 'workload-events': [-1, -1, -1, -1], episodes: [-1, -1, -1, -1] },
): Promise<typeof cursor> {
  let storyBatches = 0;
  for (let progress = true; progress;) {
    progress = false;
    for (const hub of ['workload-events', 'episodes'] as const) {
      for (let p = 0; p < hubs.count; p++) {
        const b = hubs.batch(hub, p, cursor[hub][p]!, options.batch ?? 40);
        if (!b) continue;
        progress = true;
        const handler = hub === 'episodes' ? functions.storyStage : functions.workloadStage;
        if (hub === 'episodes') options.onStoryBatch?.(storyBatches++);
        for (let attempt = 0; ; attempt++) {
          try {
            await handler(b.messages, context(hub, b.meta));
            break;
          } catch (e) {
            if (attempt > 5) throw e;
          }
        }
        cursor[hub][p] = b.meta.sequenceNumberArray!.at(-1)!;
      }
    }
  }
  return cursor;
}

describe('Azure Functions app', () => {
  it('delivers the same stories as the in-process pipeline, through ingest → workload → story functions', async () => {
    const inputs = demoAttack('aks-demo', BASE);
    const reference = liveStories(await runScenario(inputs));
    const hubs = new MemoryHubs();
    await runtime(hubs);
    await ingestAll(inputs);
    await pump(hubs);
    const latest = latestStories(server.rows('CausewayStories_CL'));
    const live = [...latest.values()].filter((r) => r.Status !== 'merged');
    expect(live.map((r) => r.StoryId)).toEqual(reference.map((s) => s.storyId));
    expect(live[0]).toMatchObject({ StoryTitle: reference[0]!.title, Chain: reference[0]!.chain, Severity: 'High' });
    identicalById(server.rows('CausewayStories_CL'), (r) => `${r.StoryId}/${r.Version}`);
    identicalById(server.rows('CausewayEvidence_CL'), (r) => String(r.EvidenceId));
  });

  it('throttling, 5xx and resets during delivery end with every row delivered once by id', async () => {
    const inputs = demoAttack('aks-faults', BASE);
    const hubs = new MemoryHubs();
    await runtime(hubs, undefined, 'aks-faults');
    await ingestAll(inputs);
    await pump(hubs, {
      onStoryBatch: () =>
        server.faults.push({ status: 429, retryAfterSeconds: 1 }, { status: 500 }, { status: 500 }, { reset: true }),
    });
    expect(server.log.some((l) => l.status === 429)).toBe(true);
    const reference = liveStories(await runScenario(inputs));
    const live = [...latestStories(server.rows('CausewayStories_CL')).values()].filter((r) => r.Status !== 'merged');
    expect(live.map((r) => r.StoryId)).toEqual(reference.map((s) => s.storyId));
    identicalById(server.rows('CausewayStories_CL'), (r) => `${r.StoryId}/${r.Version}`);
    identicalById(server.rows('CausewayEvidence_CL'), (r) => String(r.EvidenceId));
    const referenceEvidence = new Set(reference.flatMap((s) => s.timeline.map((t) => t.evidenceId)));
    const delivered = new Set(server.rows('CausewayEvidence_CL').map((r) => String(r.EvidenceId)));
    for (const id of referenceEvidence) expect(delivered.has(id), `evidence ${id}`).toBe(true);
  });

  it('a crash between delivery and snapshot, then a new owner restoring from Blob, loses no story and repeats only identical rows', async () => {
    const inputs = demoAttack('aks-crash', BASE);
    const hubs = new MemoryHubs();
    const { state } = await runtime(hubs, undefined, 'aks-crash');
    await ingestAll(inputs);
    // Crash once, right after the first story batch has been delivered and before its snapshot.
    let crashed = false;
    const crashing: StateStore = {
      load: (k) => state.load(k),
      save: async (k, s) => {
        if (k.startsWith('story/') && !crashed) {
          crashed = true;
          throw new Error('instance died');
        }
        return state.save(k, s);
      },
    };
    const cursor = { 'workload-events': [-1, -1, -1, -1], episodes: [-1, -1, -1, -1] };
    await runtime(hubs, crashing, 'aks-crash');
    // Drive the workload stage fully, then one story batch that crashes before its checkpoint.
    await pump(hubs, { onStoryBatch: () => {} }, cursor).catch(() => undefined);
    expect(crashed).toBe(true);
    // A new instance owns the partitions: fresh runtime, same Blob state, replays from the checkpoint.
    await runtime(hubs, state, 'aks-crash');
    await pump(hubs, {}, { 'workload-events': cursor['workload-events'], episodes: [-1, -1, -1, -1] });
    const reference = liveStories(await runScenario(inputs));
    const live = [...latestStories(server.rows('CausewayStories_CL')).values()].filter((r) => r.Status !== 'merged');
    expect(live.map((r) => r.StoryId)).toEqual(reference.map((s) => s.storyId));
    expect(live[0]!.Version).toBe(reference[0]!.version);
    identicalById(server.rows('CausewayStories_CL'), (r) => `${r.StoryId}/${r.Version}`);
    identicalById(server.rows('CausewayEvidence_CL'), (r) => String(r.EvidenceId));
  });

  it('snapshots every 30 s; a new owner reads what came after the snapshot back from the hub and loses nothing', async () => {
    const inputs = demoAttack('aks-gap', BASE);
    const hubs = new MemoryHubs();
    // A clock that stands still: after each partition's first snapshot, none is due again.
    const { state } = await runtime(hubs, undefined, 'aks-gap', { everyMs: 30_000 });
    await ingestAll(inputs);
    // The first instance works through everything in small batches; the trigger checkpoints each one.
    const cursor = await pump(hubs, { batch: 5 });
    const checkpoint = structuredClone(cursor);
    // Then it is gone. New events arrive (a tick), and a new instance restores the early snapshots.
    await runtime(hubs, state, 'aks-gap', { everyMs: 30_000 });
    await functions.closeIdleStories();
    await pump(hubs, {}, checkpoint);
    // It read each partition's gap (snapshot → checkpoint) back before its first batch.
    expect(hubs.reads.length).toBeGreaterThan(0);
    for (const r of hubs.reads) expect(r.to).toBeGreaterThanOrEqual(r.from);
    const reference = liveStories(await runScenario(inputs));
    const latest = latestStories(server.rows('CausewayStories_CL'));
    const live = [...latest.values()].filter((r) => r.Status !== 'merged');
    expect(live.map((r) => r.StoryId).sort()).toEqual(reference.map((s) => s.storyId).sort());
    // An evidence row read back may repeat with the edges known by then (Links); nothing else differs.
    identicalById(server.rows('CausewayEvidence_CL'), (r) => String(r.EvidenceId), ['Links']);
    const delivered = new Set(server.rows('CausewayEvidence_CL').map((r) => String(r.EvidenceId)));
    for (const id of reference.flatMap((s) => s.timeline.map((t) => t.evidenceId)))
      expect(delivered.has(id)).toBe(true);
  });

  it('the timer closes idle stories through a tick on every story partition', async () => {
    const hubs = new MemoryHubs();
    const { rt } = await runtime(hubs);
    await ingestAll(demoAttack('aks-demo', BASE));
    await pump(hubs);
    await functions.closeIdleStories();
    expect(hubs.partitions.episodes.every((p) => p.some((m) => m.body.toString().includes('"control":"tick"')))).toBe(
      true,
    );
    await pump(
      hubs,
      {},
      { 'workload-events': [1e9, 1e9, 1e9, 1e9], episodes: hubs.partitions.episodes.map((p) => p.length - 2) },
    );
    const closed = server.rows('CausewayStories_CL').filter((r) => r.Status === 'closed');
    expect(closed.length).toBeGreaterThan(0);
    expect((await functionsHealth(rt)).sink).toMatchObject({ reachable: true, type: 'logAnalytics' });
  });

  it('answers the health function with the configuration summary and the last error', async () => {
    const hubs = new MemoryHubs();
    await runtime(hubs);
    const res = await functions.health();
    expect(res.jsonBody).toMatchObject({
      status: 'ok',
      cluster: 'aks-demo',
      sink: { reachable: true, dcr: server.dcrImmutableId },
    });
  });
});
