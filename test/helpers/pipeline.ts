/** Runs inputs through a real pipeline with an in-memory sink that keeps every row. */
import type { Profile } from '../../src/profiles/profile.ts';
import { loadConfig, type CausewayConfig } from '../../src/config/config.ts';
import type { ScenarioInput } from '../../src/demo/scenario.ts';
import type { Story } from '../../src/model/story.ts';
import { InProcessPipeline } from '../../src/pipeline/inProcess.ts';
import type { StateStore } from '../../src/pipeline/stateStore.ts';
import { count, emptyReport, mergeReports, type BatchReport } from '../../src/common/report.ts';
import { SignalEngine } from '../../src/signals/engine.ts';
import type { Sink } from '../../src/sinks/sink.ts';
import type { Row, TableName } from '../../src/sinks/tables.ts';
import { silentLogger } from '../../src/telemetry/log.ts';

let engine: SignalEngine | undefined;
export function signals(): SignalEngine {
  return (engine ??= SignalEngine.load());
}

export class MemorySink implements Sink {
  readonly name = 'memory';
  readonly tables = new Map<TableName, Row[]>();
  async write(table: TableName, rows: readonly Row[]): Promise<BatchReport> {
    const list = this.tables.get(table) ?? [];
    list.push(...rows);
    this.tables.set(table, list);
    const r = emptyReport();
    count(r, 'delivered', 'ok', rows.length);
    return r;
  }
  async flush(): Promise<BatchReport> {
    return emptyReport();
  }
  async close(): Promise<void> {}
  rows(table: TableName): Row[] {
    return this.tables.get(table) ?? [];
  }
}

export function testConfig(overrides: Record<string, string> = {}): CausewayConfig {
  return loadConfig({ env: { CAUSEWAY_CLUSTER: 'aks-demo', ...overrides } }).config;
}

/** Snapshots kept in memory, as JSON text (what a real store would hold). */
export class MemoryStateStore implements StateStore {
  readonly saved = new Map<string, string>();
  async load<T>(key: string): Promise<T | undefined> {
    const text = this.saved.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }
  async save(key: string, snapshot: unknown): Promise<void> {
    this.saved.set(key, JSON.stringify(snapshot));
  }
}

export interface Run {
  pipeline: InProcessPipeline;
  state: MemoryStateStore;
  sink: MemorySink;
  records: BatchReport;
  stages: BatchReport;
  /** Latest version of every story. */
  stories: Map<string, Story>;
}

export function newRun(config = testConfig(), baselines: readonly Profile[] = [], state = new MemoryStateStore()): Run {
  const sink = new MemorySink();
  return {
    pipeline: new InProcessPipeline({
      config,
      signals: signals(),
      baselines,
      sink,
      logger: silentLogger,
      host: 'test',
      clock: () => 0,
      state,
    }),
    state,
    sink,
    records: emptyReport(),
    stages: emptyReport(),
    stories: new Map(),
  };
}

export async function feed(run: Run, inputs: readonly { body: string | Buffer; input: string }[]): Promise<Run> {
  for (const i of inputs) {
    const r = await run.pipeline.submit([{ body: i.body, input: i.input }]);
    mergeReports(run.records, r.records);
    mergeReports(run.stages, r.stages);
    keep(run, r.stories);
  }
  return run;
}

export async function finish(run: Run): Promise<Run> {
  keep(run, (await run.pipeline.flush()).stories);
  return run;
}

function keep(run: Run, stories: Story[]): void {
  for (const s of stories) if ((run.stories.get(s.storyId)?.version ?? -1) < s.version) run.stories.set(s.storyId, s);
}

export async function runScenario(inputs: ScenarioInput[], config = testConfig()): Promise<Run> {
  return finish(await feed(newRun(config), inputs));
}

/** Stories that are not merged away, most severe first. */
export function liveStories(run: Run): Story[] {
  return [...run.stories.values()]
    .filter((s) => s.status !== 'merged')
    .sort((a, b) => b.riskScore - a.riskScore || a.storyId.localeCompare(b.storyId));
}

/** A story without the parts that describe one emission rather than the story itself. */
export function comparable(s: Story): Omit<Story, 'evidence'> {
  const { evidence: _evidence, ...rest } = s;
  return rest;
}

/** An in-process pipeline over a sink, for host tests. */
export function inProcessPipeline(sink: Sink, config = testConfig(), state?: StateStore): InProcessPipeline {
  return new InProcessPipeline({
    config,
    signals: signals(),
    sink,
    logger: silentLogger,
    host: 'test',
    clock: Date.now,
    state,
  });
}
