/**
 * OTLP ExportTraceServiceRequest in the JSON mapping. Whole exports (a POST to /v1/traces, a Kafka
 * message from the Collector's exporter, in JSON or protobuf) arrive here split into one request
 * per span (`otlp/splitTraces.ts`; protobuf is first decoded into the same JSON form by
 * `otlp/protobuf.ts`), so one bad span is rejected alone. Spans are classified by attributes, never
 * by span name: `gen_ai.operation.name` (OTel GenAI), `mcp.method.name` (OTel MCP),
 * `openinference.span.kind` (OpenInference) and `traceloop.span.kind` (OpenLLMetry).
 * Both `gen_ai.system` and `gen_ai.provider.name` are read. Prompts and tool arguments leave only
 * as redacted summaries.
 */
import type { EventKind, Layer, RuntimeEvent, TraceInfo, WorkloadIdentity } from '../model/event.ts';
import { PermanentError } from '../errors.ts';
import { describeErrors, validator } from '../schemas.ts';
import { summariseContent } from '../transforms/redact.ts';
import { normaliseContainerId, normaliseIp } from '../transforms/normalise.ts';
import { nanoTimeField } from './eventTime.ts';
import {
  arr,
  compact,
  obj,
  result,
  str,
  type DecodeContext,
  type DecodeDrop,
  type DecodeResult,
  type Json,
  type Source,
} from './source.ts';

const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

/** OTLP AnyValue → plain JS value. */
export function anyValue(v: unknown, depth = 0): unknown {
  const o = obj(v);
  if (!o || depth > 32) return undefined;
  if ('stringValue' in o) return o.stringValue;
  if ('boolValue' in o) return o.boolValue;
  if ('intValue' in o) return typeof o.intValue === 'string' ? Number(o.intValue) : o.intValue;
  if ('doubleValue' in o) return o.doubleValue;
  if ('bytesValue' in o) return o.bytesValue;
  if ('arrayValue' in o) return arr(obj(o.arrayValue)?.values).map((x) => anyValue(x, depth + 1));
  if ('kvlistValue' in o) return attributes(obj(o.kvlistValue)?.values, depth + 1);
  return undefined;
}

export function attributes(list: unknown, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of arr(list)) {
    const o = obj(kv);
    const key = str(o?.key);
    if (key) out[key] = anyValue(o?.value, depth);
  }
  return out;
}

interface Classified {
  layer: Layer;
  kind: EventKind;
  operation: string;
}

function classify(a: Record<string, unknown>, spanKind: string): Classified | undefined {
  const op = str(a['gen_ai.operation.name']);
  const mcp = str(a['mcp.method.name']);
  if (mcp) return { layer: 'protocol', kind: 'mcp.request', operation: op ?? mcp };
  if (op) {
    if (op === 'invoke_agent' || op === 'create_agent' || op === 'invoke_workflow' || op === 'plan')
      return { layer: 'agent', kind: 'agent.invoke', operation: op };
    if (op === 'execute_tool') return { layer: 'agent', kind: 'tool.execute', operation: op };
    return { layer: 'agent', kind: 'llm.chat', operation: op };
  }
  const oi = str(a['openinference.span.kind'])?.toUpperCase();
  if (oi) {
    if (oi === 'TOOL') return { layer: 'agent', kind: 'tool.execute', operation: 'execute_tool' };
    if (oi === 'AGENT' || oi === 'CHAIN') return { layer: 'agent', kind: 'agent.invoke', operation: 'invoke_agent' };
    if (oi === 'LLM') return { layer: 'agent', kind: 'llm.chat', operation: 'chat' };
    return undefined;
  }
  const tl = str(a['traceloop.span.kind'])?.toLowerCase();
  if (tl) {
    if (tl === 'tool') return { layer: 'agent', kind: 'tool.execute', operation: 'execute_tool' };
    if (tl === 'agent' || tl === 'workflow') return { layer: 'agent', kind: 'agent.invoke', operation: 'invoke_agent' };
    return undefined;
  }
  if (a['gen_ai.system'] !== undefined || a['gen_ai.provider.name'] !== undefined)
    return { layer: 'agent', kind: 'llm.chat', operation: 'chat' };
  // An HTTP client span says what a workload calls at L7 (profiles learn it for Cilium HTTP rules).
  if (spanKind === 'CLIENT' && str(a['http.request.method'] ?? a['http.method']))
    return { layer: 'network', kind: 'http.request', operation: 'http' };
  return undefined;
}

function workloadOf(r: Record<string, unknown>, ctx: DecodeContext): WorkloadIdentity {
  const kinds: [string, string][] = [
    ['k8s.deployment.name', 'Deployment'],
    ['k8s.statefulset.name', 'StatefulSet'],
    ['k8s.daemonset.name', 'DaemonSet'],
    ['k8s.job.name', 'Job'],
    ['k8s.cronjob.name', 'CronJob'],
  ];
  const workload = kinds.find(([k]) => str(r[k]));
  return compact<WorkloadIdentity>({
    cluster: str(r['k8s.cluster.name']) ?? ctx.cluster,
    namespace: str(r['k8s.namespace.name']),
    pod: str(r['k8s.pod.name']),
    podUid: str(r['k8s.pod.uid']),
    podIp: normaliseIp(r['k8s.pod.ip']),
    container: str(r['k8s.container.name']) ?? str(r['container.name']),
    containerId: normaliseContainerId(r['container.id']),
    node: str(r['k8s.node.name']) ?? str(r['host.name']),
    workloadKind: workload?.[1],
    workloadName: workload ? str(r[workload[0]]) : undefined,
    image: str(r['container.image.name']),
    serviceName: str(r['service.name']),
  });
}

/** Where a one-span request (as `splitTraces` makes them) holds its span, in schema error paths. */
const ONE_SPAN_PATH = /\/resourceSpans\/0\/scopeSpans\/0\/spans\/0\//g;

/**
 * Every span of a resource shares its attributes and workload: read them once per resource
 * object (the split requests share it) and decode context, not once per span.
 */
const RESOURCES = new WeakMap<
  object,
  { ctx: DecodeContext; resource: Record<string, unknown>; workload: WorkloadIdentity }
>();

function resourceOf(
  r: Json | undefined,
  ctx: DecodeContext,
): { resource: Record<string, unknown>; workload: WorkloadIdentity } {
  const known = r ? RESOURCES.get(r) : undefined;
  if (known && known.ctx === ctx) return known;
  const resource = attributes(r?.attributes);
  const entry = { ctx, resource, workload: workloadOf(resource, ctx) };
  if (r) RESOURCES.set(r, entry);
  return entry;
}

export const otlp: Source = {
  name: 'otel',

  detect(record) {
    return Array.isArray(record.resourceSpans);
  },

  decode(record, ctx): DecodeResult {
    const validate = validator('sources', 'otlp-traces.schema.json');
    if (!validate(record))
      throw new PermanentError(
        `OTLP span does not match the OTLP/JSON mapping: ${describeErrors(validate.errors).replace(ONE_SPAN_PATH, 'span/')}`,
        'schema-mismatch',
      );
    const events: RuntimeEvent[] = [];
    const drops: DecodeDrop[] = [];
    for (const rs of arr(record.resourceSpans)) {
      const { resource, workload } = resourceOf(obj(obj(rs)?.resource), ctx);
      for (const ss of arr(obj(rs)?.scopeSpans)) {
        const scope = scopeOf(obj(obj(ss)?.scope));
        for (const s of arr(obj(ss)?.spans)) {
          const span = obj(s) as Json;
          const event = spanEvent(span, resource, workload, ctx, scope);
          if (event) events.push(event);
          else
            drops.push({
              reason: 'filtered',
              detail: 'a span that carries no gen_ai/mcp/OpenInference/OpenLLMetry attributes',
            });
        }
      }
    }
    if (!events.length && !drops.length) drops.push({ reason: 'empty', detail: 'an OTLP export with no spans' });
    return result(events, drops);
  },
};

function spanEvent(
  span: Json,
  resource: Record<string, unknown>,
  workload: WorkloadIdentity,
  ctx: DecodeContext,
  scope?: string,
): RuntimeEvent | undefined {
  const a = attributes(span.attributes);
  const spanKind = SPAN_KINDS[Number(span.kind ?? 0)] ?? 'UNSPECIFIED';
  const c = classify(a, spanKind);
  if (!c) return undefined;
  const traceId = String(span.traceId).toLowerCase();
  const spanId = String(span.spanId).toLowerCase();
  const start = nanoTimeField(span.startTimeUnixNano, 'startTimeUnixNano', 'OTLP span', ctx);
  if (start === undefined) throw new PermanentError('OTLP span has no "startTimeUnixNano"', 'schema-mismatch');
  const end = nanoTimeField(span.endTimeUnixNano, 'endTimeUnixNano', 'OTLP span', ctx) ?? start;
  const status = obj(span.status);
  const toolName =
    str(a['gen_ai.tool.name']) ??
    str(a['tool.name']) ??
    (c.kind === 'tool.execute' ? str(a['traceloop.entity.name']) : undefined);
  const agentName =
    str(a['gen_ai.agent.name']) ??
    str(a['agent.name']) ??
    (c.kind === 'agent.invoke' ? str(a['traceloop.entity.name']) : undefined);
  const trace: TraceInfo = compact({
    traceId,
    spanId,
    parentSpanId: str(span.parentSpanId)?.toLowerCase(),
    spanKind,
    operation: c.operation,
    conversationId: str(a['gen_ai.conversation.id']) ?? str(a['session.id']),
    agentId: str(a['gen_ai.agent.id']),
    agentName: agentName ?? (c.layer === 'agent' ? str(resource['service.name']) : undefined),
    toolName,
    toolCallId: str(a['gen_ai.tool.call.id']) ?? str(a['tool_call.id']),
    mcpMethod: str(a['mcp.method.name']),
    mcpSessionId: str(a['mcp.session.id']),
    jsonRpcId: str(a['jsonrpc.request.id']) ?? str(a['mcp.request.id']),
    startTime: start,
    endTime: end,
    status: status?.code === 2 || a['error.type'] !== undefined ? 'error' : undefined,
    errorType: str(a['error.type']),
    clientAddress: normaliseIp(a['client.address']),
    serverAddress: str(a['server.address']),
    // OTel MCP semantic conventions: `pipe` for stdio servers (a child process of the client).
    networkTransport: transport(a['network.transport']),
    serverPort: Number.isInteger(a['server.port']) ? (a['server.port'] as number) : undefined,
    httpMethod: httpMethod(a['http.request.method'] ?? a['http.method']),
    urlPath: str(a['url.path']) ?? str(a['http.target'])?.split('?')[0],
    urlTemplate: str(a['url.template'] ?? a['http.route']),
    urlScheme: str(a['url.scheme']),
    endUser: str(a['enduser.id']) ?? str(a['user.id']),
    model: str(a['gen_ai.request.model']) ?? str(a['llm.model_name']),
    provider: str(a['gen_ai.provider.name']) ?? str(a['gen_ai.system']) ?? str(a['llm.provider']),
    responseModel: str(a['gen_ai.response.model']),
    scope,
    serviceVersion: str(resource['service.version']),
    protocolVersion: str(a['mcp.protocol.version']),
    httpStatus: jsonRpcCode(a['http.response.status_code']),
    errorCode: jsonRpcCode(a['rpc.response.status_code'] ?? a['rpc.jsonrpc.error_code'] ?? a['error.type']),
  });
  const content =
    a['gen_ai.tool.call.arguments'] ??
    a['gen_ai.input.messages'] ??
    a['input.value'] ??
    a['traceloop.entity.input'] ??
    a['gen_ai.prompt'];
  return compact<RuntimeEvent>({
    id: `otel:${traceId}:${spanId}`,
    layer: c.layer,
    kind: c.kind,
    time: start,
    // One format for both encodings: the event is the same whichever way the span travelled.
    source: { product: 'otel', format: 'otlp', nativeId: `${traceId}/${spanId}` },
    workload,
    trace,
    content: summariseContent(content, ctx.redaction),
  });
}

/** The instrumentation scope as `name` or `name@version` (which library reported the span). */
function scopeOf(scope: Json | undefined): string | undefined {
  const name = str(scope?.name);
  if (!name) return undefined;
  const version = str(scope?.version);
  return version ? `${name}@${version}` : name;
}

/**
 * A JSON-RPC error code: an integer, or its string form (`error.type` SHOULD be the code's string
 * representation under the OTel MCP conventions); anything else (`tool_error`, `_OTHER`) is none.
 */
export function jsonRpcCode(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v !== 'string' || !/^-?\d{1,6}$/.test(v.trim())) return undefined;
  return Number(v.trim());
}

/** An HTTP method token, upper-cased; free text is dropped (upper-casing it would hide a secret's shape). */
function httpMethod(value: unknown): string | undefined {
  const m = str(value)?.toUpperCase();
  return m && /^[A-Z]{1,16}$/.test(m) ? m : undefined;
}

/** OTel `network.transport` values (semantic conventions); anything else is not kept. */
const TRANSPORTS = new Set(['tcp', 'udp', 'pipe', 'unix', 'quic', 'inproc']);

function transport(v: unknown): string | undefined {
  const t = typeof v === 'string' ? v.toLowerCase() : undefined;
  return t !== undefined && TRANSPORTS.has(t) ? t : undefined;
}
