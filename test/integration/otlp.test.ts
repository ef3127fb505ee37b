/**
 * OTLP/HTTP against the local host as a Collector or SDK sends it: a batch of 10,000 spans in JSON
 * and protobuf, gzip, decoded span by span; a partial success naming the one bad span; every
 * answer in the request's own encoding (protobuf `google.rpc.Status` checked against the published
 * googleapis `status.proto`).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalHost } from '../../src/hosts/local/localHost.ts';
import { ExportTraceServiceResponse } from '../../src/sources/otlp/proto.ts';
import { encodeTraceRequestProtobuf } from '../../src/sources/otlp/protobuf.ts';
import { inProcessPipeline, MemorySink, testConfig } from '../helpers/pipeline.ts';

const PROTOBUF = 'application/x-protobuf';
let host: LocalHost | undefined;
let Status: protobuf.Type;

beforeAll(async () => {
  // The official definition, not ours: what the Collector decodes an error body with.
  const protos = join(dirname(createRequire(import.meta.url).resolve('google-proto-files')), '../..');
  Status = (await protobuf.load(join(protos, 'google/rpc/status.proto'))).lookupType('google.rpc.Status');
});

afterEach(async () => {
  await host?.close();
  host = undefined;
});

async function start(options: { maxBodyBytes?: number } = {}) {
  const config = testConfig();
  const pipeline = inProcessPipeline(new MemorySink(), config);
  host = new LocalHost({
    pipeline,
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: options.maxBodyBytes ?? config.serve.maxBodyBytes,
    tickMs: 60_000,
  });
  const port = await host.listen();
  return (body: string | Buffer, headers: Record<string, string>) =>
    fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', body, headers });
}

/** `n` MCP tool-call spans from 50 agent pods, as a Collector batch carries them. */
function batch(n: number, bad?: number): Record<string, unknown> {
  const pods = 50;
  return {
    resourceSpans: Array.from({ length: pods }, (_, p) => ({
      resource: {
        attributes: [
          { key: 'service.name', value: { stringValue: `mcp-${p}` } },
          { key: 'k8s.namespace.name', value: { stringValue: 'tools' } },
          { key: 'k8s.pod.name', value: { stringValue: `mcp-${p}-7d9f8b6c5d-abc12` } },
          { key: 'k8s.deployment.name', value: { stringValue: `mcp-${p}` } },
        ],
      },
      scopeSpans: [
        {
          scope: { name: 'mcp-instrumentation', version: '1.0.0' },
          spans: Array.from({ length: Math.ceil(n / pods) }, (_, s) => s * pods + p)
            .filter((i) => i < n)
            .map((i) => ({
              traceId: i === bad ? '' : (i + 1).toString(16).padStart(32, '0'),
              spanId: (i + 1).toString(16).padStart(16, '0'),
              name: 'tools/call read_file',
              kind: 2,
              startTimeUnixNano: String(1795687200000000000n + BigInt(i) * 1000000n),
              endTimeUnixNano: String(1795687200000800000n + BigInt(i) * 1000000n),
              attributes: [
                { key: 'mcp.method.name', value: { stringValue: 'tools/call' } },
                { key: 'gen_ai.tool.name', value: { stringValue: 'read_file' } },
                { key: 'mcp.session.id', value: { stringValue: `session-${i % 97}` } },
                { key: 'jsonrpc.request.id', value: { intValue: String(i) } },
                { key: 'gen_ai.tool.call.arguments', value: { stringValue: `{"path":"/data/report-${i}.csv"}` } },
              ],
              status: { code: 0 },
            })),
        },
      ],
    })),
  };
}

const encode = {
  json: (r: Record<string, unknown>) => Buffer.from(JSON.stringify(r)),
  protobuf: (r: Record<string, unknown>) => Buffer.from(encodeTraceRequestProtobuf(r)),
};
const TYPE = { json: 'application/json', protobuf: PROTOBUF } as const;

describe('OTLP/HTTP /v1/traces', () => {
  for (const encoding of ['json', 'protobuf'] as const) {
    it(`decodes every span of a 10,000-span ${encoding} export, gzip, and rejects none for size`, async () => {
      const post = await start();
      const config = testConfig();
      const plain = encode[encoding](batch(10_000));
      // A Collector batch is far larger than one record may be: the limit is per span.
      expect(plain.length).toBeGreaterThan(config.limits.maxRecordBytes);
      const res = await post(gzipSync(plain), { 'content-type': TYPE[encoding], 'content-encoding': 'gzip' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(TYPE[encoding]);
      const body = Buffer.from(await res.arrayBuffer());
      if (encoding === 'json') expect(JSON.parse(body.toString())).toEqual({});
      else expect(ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(body), {})).toEqual({});
      expect(host!.counters.records.counts).toMatchObject({ delivered: 10_000, rejected: 0, dropped: 0 });
    });
  }

  it('decodes a plain (not gzip) 10,000-span JSON export too', async () => {
    const post = await start();
    const res = await post(encode.json(batch(10_000)), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(host!.counters.records.counts).toMatchObject({ delivered: 10_000, rejected: 0 });
  });

  it('answers a JSON export with one span without a trace id 200 with partialSuccess naming it', async () => {
    const post = await start();
    const res = await post(encode.json(batch(3, 1)), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    const { partialSuccess } = (await res.json()) as {
      partialSuccess: { rejectedSpans: string; errorMessage: string };
    };
    expect(partialSuccess.rejectedSpans).toBe('1');
    expect(partialSuccess.errorMessage).toMatch(
      /^1 of 3 spans rejected: record \d: OTLP span does not match the OTLP\/JSON mapping: span\/traceId must match pattern .*\(schema-mismatch\)$/,
    );
    expect(host!.counters.records.counts).toMatchObject({ delivered: 2, rejected: 1 });
  });

  it('answers a protobuf export with one span without a trace id 200 with a protobuf partialSuccess naming it', async () => {
    const post = await start();
    const res = await post(gzipSync(encode.protobuf(batch(3, 1))), {
      'content-type': PROTOBUF,
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(PROTOBUF);
    const answer = ExportTraceServiceResponse.toObject(
      ExportTraceServiceResponse.decode(Buffer.from(await res.arrayBuffer())),
      { longs: Number },
    ) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
    expect(answer.partialSuccess.rejectedSpans).toBe(1);
    expect(answer.partialSuccess.errorMessage).toMatch(/^1 of 3 spans rejected: record \d: .*traceId/);
  });

  it('answers an undecodable protobuf body 400 with a google.rpc.Status the Collector can read', async () => {
    const post = await start();
    const res = await post(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), { 'content-type': PROTOBUF });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe(PROTOBUF);
    const status = Status.toObject(Status.decode(Buffer.from(await res.arrayBuffer())));
    expect(status).toMatchObject({ code: 3 });
    expect(status.message).toMatch(/not an OTLP protobuf ExportTraceServiceRequest.*\(malformed-protobuf\)/);
  });

  it('answers an undecodable JSON body 400 with a JSON Status', async () => {
    const post = await start();
    const res = await post('{"resourceSpans": [', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toMatchObject({ code: 3, message: expect.stringMatching(/malformed-json/) });
  });

  it('answers an unsupported content type 415 in the encoding the client accepts, and never 415 for protobuf', async () => {
    const post = await start();
    const asJson = await post('<spans/>', { 'content-type': 'application/xml' });
    expect(asJson.status).toBe(415);
    expect(await asJson.json()).toMatchObject({ message: expect.stringMatching(/application\/x-protobuf/) });
    const asProto = await post('<spans/>', { 'content-type': 'application/xml', accept: PROTOBUF });
    expect(asProto.status).toBe(415);
    expect(Status.toObject(Status.decode(Buffer.from(await asProto.arrayBuffer())))).toMatchObject({ code: 3 });
    const zstd = await post(encode.protobuf(batch(1)), { 'content-type': PROTOBUF, 'content-encoding': 'zstd' });
    expect(zstd.status).toBe(415);
    expect(Status.decode(Buffer.from(await zstd.arrayBuffer()))).toMatchObject({
      message: expect.stringMatching(/gzip/),
    });
    const proto = await post(encode.protobuf(batch(1)), { 'content-type': `${PROTOBUF}; charset=binary` });
    expect(proto.status).toBe(200);
  });

  it('answers a body over serve.maxBodyBytes 413 in the request encoding', async () => {
    const post = await start({ maxBodyBytes: 4096 });
    const res = await post(encode.protobuf(batch(200)), { 'content-type': PROTOBUF });
    expect(res.status).toBe(413);
    expect(Status.decode(Buffer.from(await res.arrayBuffer()))).toMatchObject({
      message: expect.stringMatching(/serve\.maxBodyBytes/),
    });
  });
});
