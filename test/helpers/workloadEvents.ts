/**
 * Hand-made RuntimeEvents in one MCP workload (execs with parents and pids, reads, tool spans,
 * pid-only alerts) and a tiny rule pack, for unit tests of the workload and story
 * stages: each test builds exactly the events it is about, with times in ms from T0.
 */
import type { RuntimeEvent, WorkloadIdentity } from '../../src/model/event.ts';
import { workloadKey } from '../../src/model/workloadKey.ts';
import type { KeyedEvent } from '../../src/model/episode.ts';
import { SignalEngine } from '../../src/signals/engine.ts';
import type { RulePack } from '../../src/signals/rulePack.ts';

/** 2025-01-01T00:00:00Z: every test time is T0 + a few seconds. */
export const T0 = Date.UTC(2025, 0, 1);

/** An MCP server Deployment in one container. */
export const MCP: WorkloadIdentity = {
  cluster: 'c1',
  namespace: 'tools',
  workloadKind: 'Deployment',
  workloadName: 'mcp',
  pod: 'mcp-7d4b9c6f5d-x2x4z',
  container: 'server',
  containerId: 'c'.repeat(64),
};

/** Rules the tests trigger on purpose: a secret read, a shell in a tool call, any vendor alert. */
export const UNIT_PACK: RulePack = {
  pack: 'unit',
  version: '1.0.0',
  toolRisk: { high: ['run_*'], benign: ['get_*'] },
  rules: [
    {
      id: 'T-SECRET',
      name: 'Secret read',
      description: 'A file under /secrets/ was read.',
      severity: 'High',
      tags: ['sensitive-read'],
      when: { kind: ['file.read'], any: [{ field: 'file.path', prefix: ['/secrets/'] }] },
    },
    {
      id: 'T-SHELL-IN-TOOL',
      name: 'Shell in a tool call',
      description: 'sh started inside an MCP tool call.',
      severity: 'Medium',
      when: { kind: ['process.exec'], any: [{ field: 'process.name', in: ['sh'] }], context: { inToolCall: true } },
    },
    {
      id: 'T-ALERT',
      name: 'Vendor alert',
      description: 'Every runtime alert.',
      severity: 'fromAlert',
      when: { kind: ['alert'] },
    },
  ],
};

/** A signal engine over UNIT_PACK only. */
export function unitSignals(): SignalEngine {
  return new SignalEngine([UNIT_PACK]);
}

/** Wraps events for a workload stage, keyed by their workload. */
export function keyed(...events: RuntimeEvent[]): KeyedEvent[] {
  return events.map((event) => ({ key: workloadKey(event.workload)!, event }));
}

interface ExecOptions {
  parentKey?: string;
  binary?: string;
  parentBinary?: string;
  /** Parent start, ms from T0; a recent parent inside the container is waited for. */
  parentStart?: number;
  pid?: number;
  product?: string;
  workload?: WorkloadIdentity;
}

/** A process exec at T0 + `at` ms (Tetragon by default, so a missing parent is waited for). */
export function exec(key: string, at: number, o: ExecOptions = {}): RuntimeEvent {
  const product = o.product ?? 'tetragon';
  return {
    id: `${product}:exec:${key}`,
    layer: 'process',
    kind: 'process.exec',
    time: T0 + at,
    source: { product, format: 'unit', nativeId: key },
    workload: { ...(o.workload ?? MCP) },
    process: {
      key,
      parentKey: o.parentKey,
      pid: o.pid,
      binary: o.binary ?? '/usr/bin/python3',
      commandLine: o.binary ?? '/usr/bin/python3',
      parentBinary: o.parentBinary,
      parentStartTime: o.parentStart === undefined ? undefined : T0 + o.parentStart,
    },
  };
}

/** A file read by process `key` at T0 + `at` ms. */
export function read(
  id: string,
  key: string,
  at: number,
  path: string,
  workload: WorkloadIdentity = MCP,
): RuntimeEvent {
  return {
    id,
    layer: 'file',
    kind: 'file.read',
    time: T0 + at,
    source: { product: 'tetragon', format: 'unit', nativeId: id },
    workload: { ...workload },
    process: { key },
    file: { path, operation: 'read' },
  };
}

/** An MCP server tools/call span over [start, end] ms from T0, reported when the call ends. */
export function toolSpan(id: string, start: number, end: number, toolName = 'run_command'): RuntimeEvent {
  return {
    id,
    layer: 'protocol',
    kind: 'mcp.request',
    time: T0 + end,
    source: { product: 'otel', format: 'unit', nativeId: id },
    workload: { ...MCP },
    trace: {
      traceId: `trace-${id}`,
      spanId: `span-${id}`,
      spanKind: 'SERVER',
      mcpMethod: 'tools/call',
      toolName,
      startTime: T0 + start,
      endTime: T0 + end,
    },
  };
}

/** A runtime alert (Falco style) naming a process only by pid in the container, at T0 + `at`. */
export function pidAlert(id: string, pid: number, at: number): RuntimeEvent {
  return {
    id,
    layer: 'alert',
    kind: 'alert',
    time: T0 + at,
    source: { product: 'falco', format: 'unit', nativeId: id },
    workload: { ...MCP },
    process: { key: `falco:${id}`, pid },
    alert: {
      vendor: 'falco',
      type: 'Read sensitive file',
      name: 'Read sensitive file untrusted',
      severity: 'High',
      tactics: [],
      techniques: [],
      nativeId: id,
    },
  };
}
