import { describe, expect, it } from 'vitest';
import { demoAttack } from '../../../src/demo/scenarios.ts';
import { InventoryBook } from '../../../src/inventory/inventoryBook.ts';
import { inventoryRow } from '../../../src/inventory/inventoryRow.ts';
import type { RuntimeEvent, TraceInfo } from '../../../src/model/event.ts';
import { checkRow } from '../../helpers/checkRow.ts';
import { runScenario, signals, testConfig } from '../../helpers/pipeline.ts';
import { createWorkloadStage } from '../../../src/pipeline/stages.ts';

const T0 = Date.parse('2026-03-14T10:00:00Z');
const KEY = 'aks/agents/Deployment/support-agent';
const workload = { cluster: 'aks', namespace: 'agents', workloadKind: 'Deployment', workloadName: 'support-agent' };
let n = 0;

function span(
  kind: RuntimeEvent['kind'],
  trace: TraceInfo,
  time = T0,
  pod = 'support-agent-7d9f8b6c5d-x2x9q',
): RuntimeEvent {
  return {
    id: `otel:${n++}`,
    layer: kind === 'mcp.request' ? 'protocol' : 'agent',
    kind,
    time,
    source: { product: 'otel', format: 'otlp', nativeId: String(n) },
    workload: { ...workload, pod, serviceName: 'support-agent' },
    trace,
  };
}

const chat = (time: number, extra: Partial<TraceInfo> = {}) =>
  span(
    'llm.chat',
    {
      operation: 'chat',
      agentName: 'support-agent',
      model: 'gpt-4o',
      provider: 'openai',
      serverAddress: 'api.openai.com',
      ...extra,
    },
    time,
  );

describe('the runtime AI-BOM', () => {
  it('writes a component once when it appears, not once per event', () => {
    const book = new InventoryBook();
    for (let i = 0; i < 500; i++) book.observe(KEY, chat(T0 + i * 1000));
    const records = book.drain();
    expect(records.map((r) => [r.component.type, r.recordType])).toEqual([
      ['agent', 'new'],
      ['model', 'new'],
    ]);
    const model = records[1]!.component;
    expect(model).toMatchObject({
      name: 'gpt-4o',
      dnsName: 'api.openai.com',
      facts: { provider: 'openai', defenderForAi: false },
    });
  });

  it('writes a heartbeat per component when it is still seen an interval after its last row', () => {
    const book = new InventoryBook({ maxComponents: 100, maxDnsAnswers: 10, heartbeatMs: 3_600_000 });
    book.observe(KEY, chat(T0));
    book.drain();
    book.observe(KEY, chat(T0 + 30 * 60_000));
    expect(book.drain()).toEqual([]);
    book.observe(KEY, chat(T0 + 61 * 60_000));
    const beats = book.drain();
    expect(beats.map((r) => r.recordType)).toEqual(['heartbeat', 'heartbeat']);
    expect(beats[1]!.component.observations).toBe(3);
  });

  it('writes a changed row with the previous value when a model answers from a new version', () => {
    const book = new InventoryBook();
    book.observe(KEY, chat(T0, { responseModel: 'gpt-4o-2024-08-06' }));
    book.drain();
    book.observe(KEY, chat(T0 + 1000, { responseModel: 'gpt-4o-2024-11-20' }));
    const [changed] = book.drain();
    expect(changed).toMatchObject({ recordType: 'changed', changes: { responseModels: ['gpt-4o-2024-08-06'] } });
    expect(changed!.component.responseModels).toEqual(['gpt-4o-2024-08-06', 'gpt-4o-2024-11-20']);
  });

  it('marks Azure OpenAI models as covered by Defender for AI and others as not', () => {
    const book = new InventoryBook();
    book.observe(KEY, chat(T0, { provider: 'azure.ai.openai', serverAddress: 'contoso.openai.azure.com' }));
    book.observe(KEY, chat(T0, { provider: 'anthropic', model: 'claude', serverAddress: 'api.anthropic.com' }));
    const models = book.drain().filter((r) => r.component.type === 'model');
    expect(models.map((m) => [m.component.name, m.component.facts.defenderForAi])).toEqual([
      ['gpt-4o', true],
      ['claude', false],
    ]);
  });

  it('lists an MCP server with its protocol version and transport, and the tools it served', () => {
    const book = new InventoryBook();
    const server = (tool: string, errorCode?: number) => ({
      ...span('mcp.request', {
        spanKind: 'SERVER',
        mcpMethod: 'tools/call',
        toolName: tool,
        protocolVersion: '2025-06-18',
        networkTransport: 'tcp',
        serviceVersion: '1.4.0',
        errorCode,
      }),
      workload: { ...workload, workloadName: 'kb-tools', pod: 'kb-tools-7d9f8b6c5d-abcde', serviceName: 'kb-tools' },
    });
    book.observe('aks/agents/Deployment/kb-tools', server('search_kb'));
    book.observe('aks/agents/Deployment/kb-tools', server('no_such_tool', -32602));
    const records = book.drain();
    expect(records.map((r) => [r.component.type, r.component.name])).toEqual([
      ['mcp-server', 'kb-tools'],
      ['tool', 'search_kb'],
    ]);
    expect(records[0]!.component.facts).toMatchObject({
      protocolVersion: '2025-06-18',
      transport: 'remote',
      version: '1.4.0',
    });
  });

  it('lists a known AI endpoint a process reached at kernel level, named by the DNS answer', () => {
    const book = new InventoryBook();
    const base = {
      source: { product: 'tetragon', format: 'tetragon.json', nativeId: 'x' },
      workload: { ...workload, pod: 'p' },
    };
    book.observe(KEY, {
      ...base,
      id: 'dns',
      layer: 'network',
      kind: 'dns.query',
      time: T0,
      network: { domain: 'api.anthropic.com', addresses: ['160.79.104.10'] },
    });
    book.observe(KEY, {
      ...base,
      id: 'c1',
      layer: 'network',
      kind: 'network.connect',
      time: T0 + 5,
      network: { dstIp: '160.79.104.10', dstPort: 443 },
    });
    book.observe(KEY, {
      ...base,
      id: 'c2',
      layer: 'network',
      kind: 'network.connect',
      time: T0 + 6,
      network: { dstIp: '10.0.0.9', dstPort: 443 },
    });
    const [endpoint, ...rest] = book.drain();
    expect(rest).toEqual([]);
    expect(endpoint!.component).toMatchObject({
      type: 'ai-endpoint',
      name: 'api.anthropic.com',
      endpointAddress: '160.79.104.10',
      facts: { provider: 'anthropic', defenderForAi: false },
    });
  });

  it('is bounded: past the cap the oldest component goes and the eviction is counted', () => {
    const book = new InventoryBook({ maxComponents: 4, maxDnsAnswers: 4, heartbeatMs: 3_600_000 });
    for (let i = 0; i < 10; i++) book.observe(KEY, chat(T0, { model: `m${i}` }));
    expect(book.size).toBe(4);
    expect(book.evictions).toBeGreaterThan(0);
  });

  it('restores from its snapshot: a known component is not new again', () => {
    const book = new InventoryBook();
    book.observe(KEY, chat(T0));
    const restored = new InventoryBook();
    expect(restored.restore(JSON.parse(JSON.stringify(book.snapshot())))).toBe(0);
    restored.observe(KEY, chat(T0 + 1000));
    expect(restored.drain()).toEqual([]);
    expect(restored.restore({ format: 'causeway.inventory/1', components: [{ id: 1 }], dns: [[1, 2]] } as never)).toBe(
      2,
    );
  });

  it('gives demo rows with exactly the table columns: one new row per component and at most one final heartbeat', async () => {
    const run = await runScenario(demoAttack('aks-prod', Date.parse('2026-03-14T10:30:00Z')));
    const rows = run.sink.rows('CausewayInventory_CL');
    for (const row of rows) checkRow('CausewayInventory_CL', row);
    const added = rows.filter((r) => r.RecordType === 'new');
    expect(new Set(added.map((r) => r.ComponentId)).size).toBe(added.length);
    // The end of input writes a last heartbeat for what was seen after its first row, and no more.
    expect(rows.filter((r) => r.RecordType === 'heartbeat').length).toBeLessThanOrEqual(added.length);
    expect(rows.length).toBe(added.length + rows.filter((r) => r.RecordType === 'heartbeat').length);
    const types = new Set(rows.map((r) => r.ComponentType));
    expect([...types].sort()).toEqual(['agent', 'mcp-server', 'model', 'tool']);
    expect(rows.find((r) => r.ComponentType === 'model')).toMatchObject({
      DefenderForAiCovered: true,
      Provider: 'azure.ai.openai',
    });
    checkRow('CausewayInventory_CL', inventoryRow({ time: T0, recordType: 'new', component: firstModel() }));
  });
});

/** The model component of one chat span, for the row check. */
function firstModel() {
  const book = new InventoryBook();
  book.observe(KEY, chat(T0));
  return book.drain()[1]!.component;
}

describe('the inventory in the workload stage', () => {
  it('survives a snapshot and restore: a new owner of the partition does not list known components again', () => {
    const make = () => createWorkloadStage({ config: testConfig(), signals: signals() });
    const first = make();
    const out = first.process([{ key: KEY, event: chat(T0) }], '1');
    expect(out.inventory.map((r) => r.recordType)).toEqual(['new', 'new']);
    const second = make();
    second.restore(JSON.parse(JSON.stringify(first.snapshot())));
    expect(second.process([{ key: KEY, event: chat(T0 + 1000) }], '2').inventory).toEqual([]);
    // The end of input writes one last heartbeat per component seen since its row.
    expect(second.flush().inventory.map((r) => [r.recordType, r.component.lastSeen])).toEqual([
      ['heartbeat', T0 + 1000],
      ['heartbeat', T0 + 1000],
    ]);
  });
});
