/**
 * Section 8: OTLP decode throughput, protobuf next to JSON, on the same Collector-sized exports
 * (8,192 spans each, the batch processor's default), through stage ① (split per span, decode,
 * normalise, redact, route). Bare JSON.parse and bare protobuf decode of the same bodies are the
 * floors each encoding's ratio is measured against.
 */
import { ingest, type IngestOptions } from '../src/ingest/ingest.ts';
import { ExportTraceServiceRequest } from '../src/sources/otlp/proto.ts';
import { encodeTraceRequestProtobuf } from '../src/sources/otlp/protobuf.ts';

const SPANS_PER_EXPORT = 8192;
const PODS = 64;

/** One export: agent turns (invoke_agent, chat, execute_tool, MCP client) from many pods, with the usual noise attributes. */
function collectorExport(seed: number): Record<string, unknown> {
  const ops = ['invoke_agent', 'chat', 'execute_tool', 'tools/call'];
  return {
    resourceSpans: Array.from({ length: PODS }, (_, p) => ({
      resource: {
        attributes: [
          ['service.name', `agent-${p}`],
          ['service.version', '1.4.2'],
          ['telemetry.sdk.language', 'python'],
          ['telemetry.sdk.name', 'opentelemetry'],
          ['k8s.namespace.name', 'agents'],
          ['k8s.pod.name', `agent-${p}-6c9f7b8d4f-x2v7q`],
          ['k8s.pod.uid', `7d5c3a1e-2b4f-4c6d-9e8f-${String(p).padStart(12, '0')}`],
          ['k8s.deployment.name', `agent-${p}`],
          ['k8s.node.name', 'aks-nodepool1-12345678-vmss000001'],
          ['container.id', `${seed.toString(16).padStart(8, '0')}${String(p).padStart(56, '0')}`],
        ].map(([key, v]) => ({ key, value: { stringValue: v } })),
      },
      scopeSpans: [
        {
          scope: { name: 'opentelemetry.instrumentation.openai_agents', version: '0.52b0' },
          spans: Array.from({ length: SPANS_PER_EXPORT / PODS }, (_, s) => {
            const i = seed * SPANS_PER_EXPORT + s * PODS + p;
            const op = ops[i % ops.length]!;
            const start = 1795687200000000000n + BigInt(i) * 1000000n;
            return {
              traceId: (Math.floor(i / 4) + 1).toString(16).padStart(32, '0'),
              spanId: (i + 1).toString(16).padStart(16, '0'),
              parentSpanId: i % 4 ? i.toString(16).padStart(16, '0') : '',
              name: op === 'tools/call' ? 'tools/call read_file' : `${op} agent-${p}`,
              kind: op === 'tools/call' || op === 'chat' ? 3 : 1,
              startTimeUnixNano: String(start),
              endTimeUnixNano: String(start + 800000n),
              attributes: [
                op === 'tools/call'
                  ? { key: 'mcp.method.name', value: { stringValue: 'tools/call' } }
                  : { key: 'gen_ai.operation.name', value: { stringValue: op } },
                { key: 'gen_ai.agent.name', value: { stringValue: `agent-${p}` } },
                { key: 'gen_ai.conversation.id', value: { stringValue: `conv-${Math.floor(i / 16)}` } },
                { key: 'gen_ai.tool.name', value: { stringValue: 'read_file' } },
                { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } },
                { key: 'gen_ai.usage.input_tokens', value: { intValue: String(300 + (i % 700)) } },
                { key: 'gen_ai.request.temperature', value: { doubleValue: 0.2 } },
                {
                  key: 'mcp.session.id',
                  value: { stringValue: `8267461134f24305af708e66b8eda7${(i % 256).toString(16)}` },
                },
                { key: 'gen_ai.tool.call.arguments', value: { stringValue: `{"path":"/data/reports/${i}.csv"}` } },
              ],
              status: { code: 0 },
            };
          }),
        },
      ],
    })),
  };
}

export async function otlpBench(
  scale: number,
  options: IngestOptions,
  line: (s: string) => void,
  fmt: (n: number) => string,
): Promise<void> {
  const exports = Math.max(1, Math.round(6 * scale));
  const requests = Array.from({ length: exports }, (_, i) => collectorExport(i));
  const json = requests.map((r) => Buffer.from(JSON.stringify(r)));
  const proto = requests.map((r) => Buffer.from(encodeTraceRequestProtobuf(r)));
  const spans = exports * SPANS_PER_EXPORT;
  const best = { jsonParse: Infinity, jsonStage: Infinity, protoParse: Infinity, protoStage: Infinity };
  const time = (f: () => void) => {
    const t = performance.now();
    f();
    return performance.now() - t;
  };
  let delivered = { json: 0, proto: 0 };
  // Rounds alternate the encodings so both see the same machine.
  for (let round = 0; round < 3; round++) {
    best.jsonParse = Math.min(
      best.jsonParse,
      time(() => json.forEach((b) => JSON.parse(b.toString('utf8')))),
    );
    best.protoParse = Math.min(
      best.protoParse,
      time(() => proto.forEach((b) => ExportTraceServiceRequest.decode(b))),
    );
    delivered = { json: 0, proto: 0 };
    best.jsonStage = Math.min(
      best.jsonStage,
      time(() =>
        json.forEach((body) => (delivered.json += ingest([{ body, input: 'otlp' }], options).report.counts.delivered)),
      ),
    );
    best.protoStage = Math.min(
      best.protoStage,
      time(() =>
        proto.forEach(
          (body) => (delivered.proto += ingest([{ body, input: 'otlp' }], options).report.counts.delivered),
        ),
      ),
    );
  }
  const rate = (ms: number) => fmt((spans / ms) * 1000);
  const mb = (bodies: Buffer[]) => (bodies.reduce((n, b) => n + b.length, 0) / 1e6).toFixed(1);
  line(
    `8. OTLP decode (stage ①), ${exports} exports × ${fmt(SPANS_PER_EXPORT)} spans, JSON ${mb(json)} MB, protobuf ${mb(proto)} MB, delivered ${fmt(delivered.json)} / ${fmt(delivered.proto)}:`,
  );
  line(
    `   JSON: JSON.parse ${rate(best.jsonParse)} spans/s · stage ① ${rate(best.jsonStage)} spans/s · ratio ${(best.jsonParse / best.jsonStage).toFixed(2)}`,
  );
  line(
    `   protobuf: decode ${rate(best.protoParse)} spans/s · stage ① ${rate(best.protoStage)} spans/s · ratio ${(best.protoParse / best.protoStage).toFixed(2)}`,
  );
  line(`   protobuf / JSON stage ① throughput ${(best.jsonStage / best.protoStage).toFixed(2)}`);
}
