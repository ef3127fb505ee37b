/**
 * The one place the quality bench and the corpus tests call the pipeline: deliveries in, the rows
 * it wrote to the story and evidence tables out. It runs the in-process pipeline (the one stage
 * runner) the way test/helpers/pipeline.ts does, one submit per delivery then end of input, with a
 * memory sink.
 */
import { loadConfig } from '../../src/config/config.ts';
import { count, emptyReport, type BatchReport } from '../../src/common/report.ts';
import { InProcessPipeline } from '../../src/pipeline/inProcess.ts';
import { SignalEngine } from '../../src/signals/engine.ts';
import type { Sink } from '../../src/sinks/sink.ts';
import type { Row, TableName } from '../../src/sinks/tables.ts';
import { silentLogger } from '../../src/telemetry/log.ts';

/** Bodies that arrive together (one Event Hubs trigger batch). */
export interface PipelineDelivery {
  inputs: readonly { body: string; input: string }[];
}

/** What the product wrote: every version of every story row, and every evidence row. */
export interface PipelineRows {
  stories: Row[];
  evidence: Row[];
}

class RowSink implements Sink {
  readonly name = 'quality-bench';
  readonly rows: PipelineRows = { stories: [], evidence: [] };
  async write(table: TableName, rows: readonly Row[]): Promise<BatchReport> {
    if (table === 'CausewayStories_CL') this.rows.stories.push(...rows);
    else if (table === 'CausewayEvidence_CL') this.rows.evidence.push(...rows);
    const report = emptyReport();
    count(report, 'delivered', 'ok', rows.length);
    return report;
  }
  async flush(): Promise<BatchReport> {
    return emptyReport();
  }
  async close(): Promise<void> {}
}

let signals: SignalEngine | undefined;

/** Replays deliveries in order through a fresh pipeline configured for `cluster` (all defaults otherwise). */
export async function runPipeline(
  deliveries: readonly PipelineDelivery[],
  options: { cluster: string; settings?: Record<string, unknown> },
): Promise<PipelineRows> {
  const flags = Object.fromEntries(
    Object.entries(options.settings ?? {}).map(([path, value]) => [path, { value, flag: `scenario: ${path}` }]),
  );
  const { config } = loadConfig({ env: { CAUSEWAY_CLUSTER: options.cluster }, flags });
  const sink = new RowSink();
  const pipeline = new InProcessPipeline({
    config,
    signals: (signals ??= SignalEngine.load()),
    sink,
    logger: silentLogger,
    host: 'quality-bench',
    clock: () => 0,
  });
  for (const d of deliveries) await pipeline.submit(d.inputs);
  await pipeline.flush();
  return sink.rows;
}
