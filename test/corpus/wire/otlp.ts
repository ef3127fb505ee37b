/**
 * OTLP/JSON ExportTraceServiceRequest from one pod (reference/agent-telemetry.md §3): hex ids,
 * integer span kinds, 64-bit times as decimal strings, resource attributes as the Collector's
 * k8sattributesprocessor adds them (which never include the cluster unless configured).
 */
import { spanKey } from '../labels.ts';
import type { Pod } from '../world.ts';

/** An attribute value (string, int, double or bool AnyValue). */
export type AttributeValue = string | number | boolean;

/** One span, times in epoch ms. */
export interface SpanSpec {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** 1 INTERNAL, 2 SERVER, 3 CLIENT. */
  kind: 1 | 2 | 3;
  start: number;
  end: number;
  attributes: Record<string, AttributeValue>;
  error?: boolean;
}

/** What the resource of a request carries besides the pod's identity. */
export interface ResourceOptions {
  /** `service.name`; the pod's when absent. */
  serviceName?: string;
  /** Whether the Collector adds `k8s.cluster.name` (only when configured). */
  clusterName?: boolean;
  /** Whether `container.id` is set (SDK resource detectors do, k8sattributes may not). */
  containerId?: boolean;
  /** `telemetry.sdk.language` of the instrumented process. */
  language?: 'python' | 'nodejs';
}

const kv = (key: string, v: AttributeValue) => ({
  key,
  value:
    typeof v === 'string'
      ? { stringValue: v }
      : typeof v === 'boolean'
        ? { boolValue: v }
        : Number.isInteger(v)
          ? { intValue: String(v) }
          : { doubleValue: v },
});

const nanos = (ms: number, extra: number) => String(BigInt(Math.round(ms)) * 1_000_000n + BigInt(extra % 1_000_000));

/** One request body and the label key of each span in it. */
export function otlpRequest(
  pod: Pod,
  spans: SpanSpec[],
  options: ResourceOptions = {},
): { body: string; keys: string[] } {
  const resource = [
    kv('service.name', options.serviceName ?? pod.serviceName),
    kv('k8s.namespace.name', pod.namespace),
    kv('k8s.pod.name', pod.name),
    kv('k8s.pod.uid', pod.uid),
    kv('k8s.pod.ip', pod.ip),
    kv(
      pod.kind === 'StatefulSet'
        ? 'k8s.statefulset.name'
        : pod.kind === 'DaemonSet'
          ? 'k8s.daemonset.name'
          : 'k8s.deployment.name',
      pod.workload,
    ),
    kv('k8s.node.name', pod.node.name),
    ...(options.clusterName ? [kv('k8s.cluster.name', pod.cluster.name)] : []),
    ...(options.containerId ? [kv('container.id', pod.containerId)] : []),
    kv('telemetry.sdk.language', options.language ?? 'python'),
  ];
  const body = JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: resource },
        scopeSpans: [
          {
            scope: { name: 'opentelemetry.instrumentation.genai', version: '0.47b0' },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: nanos(s.start, Number.parseInt(s.spanId.slice(0, 5), 16)),
              endTimeUnixNano: nanos(s.end, Number.parseInt(s.spanId.slice(5, 10), 16)),
              attributes: Object.entries(s.attributes).map(([k, v]) => kv(k, v)),
              status: s.error ? { code: 2, message: 'tool_error' } : { code: 0 },
            })),
          },
        ],
      },
    ],
  });
  return { body, keys: spans.map((s) => spanKey(s.traceId, s.spanId)) };
}
