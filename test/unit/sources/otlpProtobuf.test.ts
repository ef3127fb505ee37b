/**
 * OTLP protobuf decodes to exactly the events its JSON twin gives (HTTP body or Kafka message, gzip
 * or not), and an export is split per span: one bad or oversized span is rejected alone.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StageRunner } from '../../../src/pipeline/stageRunner.ts';
import { NO_STATE } from '../../../src/pipeline/stateStore.ts';
import { ingest, type IngestInput, type IngestOptions } from '../../../src/ingest/ingest.ts';
import {
  decodeTraceRequestProtobuf,
  encodeTraceRequestProtobuf,
  looksLikeOtlpProtobuf,
} from '../../../src/sources/otlp/protobuf.ts';
import { silentLogger } from '../../../src/telemetry/log.ts';
import { MemoryHubs } from '../../helpers/hubs.ts';
import { MemorySink, signals, testConfig } from '../../helpers/pipeline.ts';

const FIXTURES = new URL('../../fixtures/otlp-protobuf/', import.meta.url).pathname;
const fixture = (name: string) => JSON.parse(readFileSync(FIXTURES + name, 'utf8')) as Record<string, unknown>;

function options(limits: Partial<IngestOptions['limits']> = {}): IngestOptions {
  const config = testConfig();
  return {
    decode: { cluster: config.cluster, redaction: config.redaction },
    limits: { ...config.limits, ...limits },
    signals: signals(),
    now: () => 0,
  };
}

function run(body: Buffer | string, opts = options(), input = 'POST /v1/traces') {
  return ingest([{ body, input, accept: ['otel'] }], opts);
}

/** What stage ① hands on: events by key, episodes, and the counts. */
function outcome(body: Buffer | string, opts = options()) {
  const out = run(body, opts);
  return { events: out.workloadEvents, episodes: out.episodes, counts: out.report.counts };
}

/** A span the OTLP source turns into an event (MCP server tool call). */
function span(i: number, extra: Record<string, unknown>[] = []): Record<string, unknown> {
  return {
    traceId: (i + 1).toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: 'tools/call get-weather',
    kind: 2,
    startTimeUnixNano: String(1795687200000000000n + BigInt(i) * 1000000n),
    endTimeUnixNano: String(1795687200000500000n + BigInt(i) * 1000000n),
    attributes: [
      { key: 'mcp.method.name', value: { stringValue: 'tools/call' } },
      { key: 'gen_ai.tool.name', value: { stringValue: 'get-weather' } },
      ...extra,
    ],
  };
}

function request(spans: Record<string, unknown>[]): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'weather-mcp' } },
            { key: 'k8s.namespace.name', value: { stringValue: 'tools' } },
            { key: 'k8s.pod.name', value: { stringValue: 'weather-mcp-7d9f8b6c5d-abc12' } },
          ],
        },
        scopeSpans: [{ scope: { name: 'test' }, spans }],
      },
    ],
  };
}

const protobuf = (r: Record<string, unknown>) => Buffer.from(encodeTraceRequestProtobuf(r));

describe('OTLP protobuf', () => {
  for (const name of ['mcp-edge-cases.json', 'sdk-export.json']) {
    it(`decodes ${name} in protobuf, gzip or not, to exactly the events of its JSON`, () => {
      const json = readFileSync(FIXTURES + name);
      const expected = outcome(json);
      expect(expected.events.length).toBeGreaterThan(1);
      expect(expected.counts.rejected).toBe(0);
      const proto = protobuf(fixture(name));
      expect(looksLikeOtlpProtobuf(proto)).toBe(true);
      expect(outcome(proto)).toEqual(expected);
      expect(outcome(gzipSync(proto))).toEqual(expected);
      expect(outcome(gzipSync(json))).toEqual(expected);
    });
  }

  it('decodes the OpenTelemetry SDK’s own protobuf export to the events of its own JSON export', () => {
    const expected = outcome(readFileSync(FIXTURES + 'sdk-export.json'));
    const fromSdk = outcome(readFileSync(FIXTURES + 'sdk-export.bin'));
    expect(fromSdk).toEqual(expected);
    expect(fromSdk.counts).toMatchObject({ delivered: 5, rejected: 0 });
    const tool = fromSdk.events.find((e) => e.event.trace?.spanKind === 'SERVER')!.event;
    expect(tool.trace).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      mcpMethod: 'tools/call',
      toolName: 'read_file',
      jsonRpcId: '7',
      status: 'error',
    });
    expect(tool.workload).toMatchObject({ namespace: 'agents', workloadName: 'files-mcp', podIp: '10.244.1.17' });
  });

  it('keeps the JSON mapping for every value kind: hex ids, int64 as strings, bytes as base64, enums as integers', () => {
    const json = fixture('mcp-edge-cases.json');
    const decoded = decodeTraceRequestProtobuf(encodeTraceRequestProtobuf(json));
    const spans = (decoded.resourceSpans as { scopeSpans: { spans: Record<string, unknown>[] }[] }[])[0]!.scopeSpans[0]!
      .spans;
    expect(spans[0]).toMatchObject({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      parentSpanId: 'eee19b7ec3c1b173',
      kind: 2,
      startTimeUnixNano: '1795687200000000000',
      status: { code: 2, message: 'upstream timeout' },
      links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' }],
    });
    expect(spans[0]!.attributes).toContainEqual({ key: 'jsonrpc.request.id', value: { intValue: '42' } });
    expect(spans[0]!.attributes).toContainEqual({ key: 'payload.digest', value: { bytesValue: 'q83vEjRWeJA=' } });
  });

  it('decodes a Kafka message in otlp_proto to exactly what the otlp_json message gives', async () => {
    const published = async (body: Buffer) => {
      const hubs = new MemoryHubs(2);
      const runner = new StageRunner({
        config: testConfig(),
        signals: signals(),
        sink: new MemorySink(),
        publisher: hubs,
        state: NO_STATE,
        logger: silentLogger,
        clock: () => 0,
        host: 'test',
      });
      const { report } = await runner.run({
        stage: 'ingest',
        partition: '0',
        source: 'agent-telemetry',
        accept: ['otel', 'toolhive'],
        messages: [{ body, sequence: 0 }],
      });
      return { report, events: hubs.partitions['workload-events'].map((p) => p.map((m) => m.body.toString())) };
    };
    const json = readFileSync(FIXTURES + 'sdk-export.json');
    const expected = await published(json);
    expect(expected.report.counts).toMatchObject({ delivered: 5, rejected: 0 });
    expect(await published(readFileSync(FIXTURES + 'sdk-export.bin'))).toEqual(expected);
    expect(await published(protobuf(fixture('sdk-export.json')))).toEqual(expected);
  });

  it('dead-letters binary that is not an OTLP protobuf request as malformed-protobuf, without its bytes', () => {
    const out = run(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]));
    expect(out.report.reasons.rejected).toEqual({ 'malformed-protobuf': 1 });
    expect(out.deadLetters[0]!.reason).toMatch(/not an OTLP protobuf ExportTraceServiceRequest/);
  });

  it('reads JSON that starts with a newline as JSON', () => {
    const body = '\n' + JSON.stringify(request([span(0)]));
    expect(looksLikeOtlpProtobuf(Buffer.from(body))).toBe(false);
    expect(run(body).report.counts).toMatchObject({ delivered: 1, rejected: 0 });
  });

  it('gives any bytes after the protobuf tag a status and never throws', () => {
    const reasons = new Set([
      'malformed-protobuf',
      'malformed-json',
      'schema-mismatch',
      'too-deep',
      'too-large',
      'empty',
    ]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
        const out = run(Buffer.concat([Buffer.from([0x0a]), Buffer.from(tail)]));
        expect(out.report.counts.rejected).toBe(out.deadLetters.length);
        for (const d of out.deadLetters) expect(reasons).toContain(d.reasonCode);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes random spans identically from JSON and protobuf', () => {
    const hex = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('hex'));
    const anyValue: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
      fc.string().map((s) => ({ stringValue: s })),
      fc.boolean().map((b) => ({ boolValue: b })),
      fc.integer().map((i) => ({ intValue: String(i) })),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => ({ doubleValue: d })),
      fc
        .array(fc.string(), { maxLength: 3 })
        .map((a) => ({ arrayValue: { values: a.map((s) => ({ stringValue: s })) } })),
    );
    const attribute = fc.record({
      key: fc.constantFrom('gen_ai.tool.name', 'mcp.session.id', 'x', 'enduser.id'),
      value: anyValue,
    });
    const randomSpan = fc.record({
      traceId: hex(16),
      spanId: hex(8),
      parentSpanId: hex(8),
      name: fc.string(),
      kind: fc.integer({ min: 0, max: 5 }),
      startTimeUnixNano: fc.bigInt({ min: 0n, max: 2n ** 63n }).map(String),
      attributes: fc
        .array(attribute, { maxLength: 4 })
        .map((a) => [{ key: 'gen_ai.operation.name', value: { stringValue: 'execute_tool' } }, ...a]),
    });
    fc.assert(
      fc.property(fc.array(randomSpan, { minLength: 1, maxLength: 5 }), (spans) => {
        const r = request(spans);
        expect(outcome(protobuf(r))).toEqual(outcome(JSON.stringify(r)));
      }),
      { numRuns: 100 },
    );
  });
});

describe('OTLP exports are split per span', () => {
  const small = options({ maxRecordBytes: 4096 });
  const huge = { key: 'gen_ai.tool.call.arguments', value: { stringValue: 'x'.repeat(8000) } };
  const body = request([span(0), span(1, [huge]), ...Array.from({ length: 50 }, (_, i) => span(i + 2))]);

  for (const [encoding, encoded] of [
    ['JSON', Buffer.from(JSON.stringify(body))],
    ['protobuf', protobuf(body)],
  ] as const) {
    it(`rejects the one oversized span of a ${encoding} export alone, by position, and keeps the rest`, () => {
      expect(encoded.length).toBeGreaterThan(4096);
      const out = run(encoded, small);
      expect(out.report.counts).toMatchObject({ delivered: 51, rejected: 1 });
      expect(out.deadLetters).toHaveLength(1);
      expect(out.deadLetters[0]).toMatchObject({ reasonCode: 'too-large' });
      expect(out.deadLetters[0]!.reason).toMatch(/^span 2 is \d+ bytes; the limit is 4096 \(limits\.maxRecordBytes\)/);
    });
  }

  it('rejects a span with an empty trace id alone, naming the field and its shape but no value', () => {
    const bad = { ...span(1), traceId: '', name: 'secret-name' };
    for (const encoded of [
      JSON.stringify(request([span(0), bad, span(2)])),
      protobuf(request([span(0), bad, span(2)])),
    ]) {
      const out = run(encoded);
      expect(out.report.counts).toMatchObject({ delivered: 2, rejected: 1 });
      expect(out.deadLetters[0]!.reason).toMatch(
        /^record 2: OTLP span does not match the OTLP\/JSON mapping: span\/.*traceId/,
      );
      expect(out.deadLetters[0]!.reason).not.toContain('secret-name');
    }
  });

  it('rejects a span nested deeper than limits.maxDepth alone', () => {
    let deep: Record<string, unknown> = { stringValue: 'bottom' };
    for (let i = 0; i < 40; i++) deep = { kvlistValue: { values: [{ key: 'k', value: deep }] } };
    const out = run(
      JSON.stringify(request([span(0), span(1, [{ key: 'deep', value: deep }])])),
      options({ maxDepth: 32 }),
    );
    expect(out.report.counts).toMatchObject({ delivered: 1, rejected: 1 });
    expect(out.report.reasons.rejected).toEqual({ 'too-deep': 1 });
  });

  it('splits each line of a Collector file-exporter JSON Lines file, however large the line', () => {
    const line = JSON.stringify(request(Array.from({ length: 40 }, (_, i) => span(i))));
    const out = run(`${line}\n${line.replaceAll('"0000', '"1111')}\n`, small);
    expect(line.length).toBeGreaterThan(4096);
    expect(out.report.counts).toMatchObject({ delivered: 80, rejected: 0 });
  });

  it('rejects a body that inflates past limits.maxMessageBytes as too-large, naming the setting', () => {
    const input: IngestInput = { body: gzipSync(Buffer.alloc(200_000, 0x20)), input: 'POST /v1/traces' };
    const out = ingest([input], options({ maxMessageBytes: 100_000 }));
    expect(out.report.reasons.rejected).toEqual({ 'too-large': 1 });
    expect(out.deadLetters[0]!.reason).toMatch(/limits\.maxMessageBytes/);
  });
});
