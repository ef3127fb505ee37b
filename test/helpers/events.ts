/**
 * Small hand-made RuntimeEvents for unit tests of the stages and the signal engine: only the
 * fields a test cares about, the rest filled with plain defaults.
 */
import type { EventKind, Layer, RuntimeEvent } from '../../src/model/event.ts';

const LAYER_OF: Record<EventKind, Layer> = {
  'process.exec': 'process',
  'process.exit': 'process',
  'file.open': 'file',
  'file.read': 'file',
  'file.write': 'file',
  'file.mmap': 'file',
  'network.connect': 'network',
  'network.close': 'network',
  'network.listen': 'network',
  'dns.query': 'network',
  'agent.invoke': 'agent',
  'llm.chat': 'agent',
  'tool.execute': 'agent',
  'mcp.request': 'protocol',
  'http.request': 'network',
  alert: 'alert',
  'cloud.api-request': 'cloud',
  'cloud.sign-in': 'cloud',
  'cloud.secret-access': 'cloud',
  'health.upstream-loss': 'health',
  'health.alert-limit': 'health',
};

let counter = 0;

/** An event of `kind` in the `shop/orders-api` Deployment at 2026-03-14T10:00:00Z, with `fields` on top. */
export function runtimeEvent(kind: EventKind, fields: Partial<RuntimeEvent> = {}): RuntimeEvent {
  const n = ++counter;
  return {
    id: `test:${kind}:${n}`,
    layer: LAYER_OF[kind],
    kind,
    time: Date.parse('2026-03-14T10:00:00Z') + n,
    source: { product: 'tetragon', format: 'tetragon.json', nativeId: `n${n}` },
    workload: {
      cluster: 'aks-test',
      namespace: 'shop',
      workloadKind: 'Deployment',
      workloadName: 'orders-api',
      pod: 'orders-api-7c9d5b8f6d-x2kqz',
      container: 'orders',
    },
    ...fields,
  };
}
