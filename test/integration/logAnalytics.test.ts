/**
 * The Log Analytics sink against a local HTTPS endpoint that enforces the Logs Ingestion contract,
 * driven by the real LogsIngestionClient, authenticated by the real DefaultAzureCredential taking
 * its managed identity path (IDENTITY_ENDPOINT/IDENTITY_HEADER, as on Azure Functions).
 */
import { Agent } from 'node:https';
import { DefaultAzureCredential } from '@azure/identity';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isRetryableError } from '../../src/errors.ts';
import { LogAnalyticsSink } from '../../src/sinks/logAnalytics.ts';
import { shape } from '../../src/sinks/rows.ts';
import { memoryLogger } from '../../src/telemetry/log.ts';
import { startLogsIngestionServer, type LogsIngestionServer } from '../helpers/logsIngestionServer.ts';
import { testCertificate } from '../helpers/tls.ts';
import { startTokenEndpoint, type TokenEndpoint } from '../helpers/tokenEndpoint.ts';

let server: LogsIngestionServer;
let tokens: TokenEndpoint;
const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };

beforeAll(async () => {
  server = await startLogsIngestionServer();
  tokens = await startTokenEndpoint((token, resource) => {
    if (resource.startsWith('https://monitor.azure.com')) server.acceptedTokens.add(token);
  });
  process.env.IDENTITY_ENDPOINT = tokens.endpoint;
  process.env.IDENTITY_HEADER = tokens.header;
});

afterAll(async () => {
  await server.close();
  await tokens.close();
  process.env.IDENTITY_ENDPOINT = saved.endpoint;
  process.env.IDENTITY_HEADER = saved.header;
});

beforeEach(() => {
  server.uploads.length = 0;
  server.log.length = 0;
  server.faults.length = 0;
});

function sink(options: { maxBatchBytes?: number; maxAttempts?: number } = {}) {
  const waits: number[] = [];
  const logger = memoryLogger();
  const s = new LogAnalyticsSink({
    endpoint: server.url,
    dcrImmutableId: server.dcrImmutableId,
    credential: new DefaultAzureCredential(),
    maxBatchBytes: options.maxBatchBytes ?? 1_000_000,
    maxAttempts: options.maxAttempts ?? 4,
    logger,
    clientOptions: { agent: new Agent({ ca: testCertificate().cert }) },
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { s, waits, logger };
}

const row = (i: number, pad = 0) =>
  shape('CausewayPipeline_CL', {
    TimeGenerated: new Date(Date.UTC(2026, 10, 20, 10, 0, i)).toISOString(),
    RecordType: 'health',
    Host: 'test',
    Stage: 'ingest',
    ReasonCode: 'health',
    Reason: 'x'.repeat(pad),
    SizeBytes: i,
    Counters: { n: i },
  });

describe('LogAnalyticsSink', () => {
  it('uploads to Custom-<Table> with a managed identity token for monitor.azure.com, gzip, 204', async () => {
    const { s } = sink();
    await s.write('CausewayPipeline_CL', [row(1), row(2)]);
    const report = await s.flush();
    expect(report.counts.delivered).toBe(2);
    expect(server.uploads).toMatchObject([{ stream: 'Custom-CausewayPipeline_CL', gzip: true }]);
    expect(server.rows('CausewayPipeline_CL').map((r) => r.SizeBytes)).toEqual([1, 2]);
    expect(tokens.requests.some((r) => r.resource.startsWith('https://monitor.azure.com'))).toBe(true);
  });

  it('honours Retry-After on 429 and delivers each row exactly once', async () => {
    server.faults.push({ status: 429, retryAfterSeconds: 2 });
    const { s, waits } = sink();
    await s.write('CausewayPipeline_CL', [row(1)]);
    expect((await s.flush()).counts.delivered).toBe(1);
    expect(waits[0]).toBeGreaterThanOrEqual(2000);
    expect(server.rows('CausewayPipeline_CL')).toHaveLength(1);
  });

  it('retries 500, a slow answer and a reset connection, then delivers once', async () => {
    server.faults.push({ status: 500 }, { reset: true }, { delayMs: 300 });
    const { s } = sink({ maxAttempts: 5 });
    await s.write('CausewayPipeline_CL', [row(1), row(2), row(3)]);
    expect((await s.flush()).counts.delivered).toBe(3);
    expect(server.rows('CausewayPipeline_CL').map((r) => r.SizeBytes)).toEqual([1, 2, 3]);
    expect(server.log.map((l) => l.status)).toEqual([500, 'reset', 204]);
  });

  it('splits on 413 and dead-letters a single row over 1 MB with the reason', async () => {
    const { s } = sink({ maxBatchBytes: 3_000_000 });
    const big = Array.from({ length: 6 }, (_, i) => row(i, 300_000));
    const huge = row(99, 1_100_000);
    await s.write('CausewayPipeline_CL', [...big, huge]);
    const report = await s.flush();
    expect(report.counts.delivered).toBe(6 + 1); // six rows and the dead letter for the oversize one
    expect(report.reasons.rejected['sink-too-large']).toBe(1);
    expect(server.log.filter((l) => l.status === 413).length).toBeGreaterThan(0);
    const dead = server.rows('CausewayPipeline_CL').filter((r) => r.RecordType === 'deadletter');
    expect(dead).toMatchObject([{ Stage: 'sink', ReasonCode: 'sink-too-large', Input: 'CausewayPipeline_CL' }]);
  });

  it('dead-letters rows refused with 403, naming the missing role, and logs the cause the aggregate error hides', async () => {
    server.faults.push({ status: 403 });
    const { s, logger } = sink();
    await s.write('CausewayStories_CL', [
      shape('CausewayStories_CL', { TimeGenerated: '2026-11-20T10:00:00.000Z', StoryId: 's', Version: 2 }),
    ]);
    const report = await s.flush();
    expect(report.reasons.rejected['sink-forbidden']).toBe(1);
    const dead = server.rows('CausewayPipeline_CL');
    expect(dead[0]).toMatchObject({
      RecordType: 'deadletter',
      ReasonCode: 'sink-forbidden',
      SourceFormat: 'Custom-CausewayStories_CL',
    });
    expect(String(dead[0]!.Reason)).toMatch(/Monitoring Metrics Publisher/);
    expect(logger.lines.find((l) => l.event === 'sink.rejected')).toMatchObject({
      table: 'CausewayStories_CL',
      reason: 'sink-forbidden',
    });
    expect(JSON.stringify(logger.lines)).toMatch(/HTTP 403/);
  });

  it('is refused with 400 when a row does not match the table, and says how to fix it', async () => {
    const { s } = sink();
    await s.write('CausewayPipeline_CL', [{ ...row(1), NotAColumn: 1 }]);
    const report = await s.flush();
    expect(report.reasons.rejected['sink-bad-request']).toBe(1);
    expect(String(server.rows('CausewayPipeline_CL')[0]!.Reason)).toMatch(/redeploy infra/);
  });

  it('keeps rows and throws a retryable error when retries run out; the next flush delivers them', async () => {
    server.faults.push({ status: 500 }, { status: 500 }, { status: 500 });
    const { s } = sink({ maxAttempts: 3 });
    await s.write('CausewayPipeline_CL', [row(1)]);
    const error = await s.flush().catch((e: unknown) => e);
    expect(isRetryableError(error)).toBe(true);
    expect((await s.flush()).counts.delivered).toBe(1);
    expect(server.rows('CausewayPipeline_CL')).toHaveLength(1);
  });
});
