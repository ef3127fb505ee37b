/** OTLP/JSON trace export requests with gen_ai.* and mcp.* spans. */
import type { Pod } from './cast.ts';

export interface SpanSpec {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: 1 | 2 | 3;
  start: number;
  end: number;
  attributes: Record<string, string | number | boolean>;
}

/** One OTLP/JSON ExportTraceServiceRequest from a pod (resource attributes as k8sattributesprocessor adds them). */
export function otlpRequest(p: Pod, spans: SpanSpec[]): string {
  const kv = (k: string, v: string | number | boolean) => ({
    key: k,
    value:
      typeof v === 'string'
        ? { stringValue: v }
        : typeof v === 'boolean'
          ? { boolValue: v }
          : Number.isInteger(v)
            ? { intValue: String(v) }
            : { doubleValue: v },
  });
  return JSON.stringify({
    resourceSpans: [
      {
        resource: {
          attributes: [
            kv('service.name', p.serviceName ?? p.workload),
            kv('k8s.namespace.name', p.namespace),
            kv('k8s.pod.name', p.name),
            kv('k8s.pod.uid', p.uid),
            kv('k8s.pod.ip', p.ip),
            kv('k8s.deployment.name', p.workload),
            kv('k8s.node.name', p.node),
            kv('k8s.cluster.name', p.cluster),
            kv('container.id', p.containerId),
          ],
        },
        scopeSpans: [
          {
            scope: { name: 'opentelemetry.instrumentation.genai', version: '0.9.0' },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: String(BigInt(Math.round(s.start)) * 1_000_000n),
              endTimeUnixNano: String(BigInt(Math.round(s.end)) * 1_000_000n),
              attributes: Object.entries(s.attributes).map(([k, v]) => kv(k, v)),
              status: { code: 0 },
            })),
          },
        ],
      },
    ],
  });
}

/** Defender for Cloud continuous export, the flat PascalCase alert that actually arrives on the hub. */
