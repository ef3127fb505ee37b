/**
 * Section 9: the story row budget under a loud attacker (issue 14, finding 5). A tool's shell reads
 * the service-account token with a new `cat` 100,000 times, 500 execs per body as a log shipper
 * would send them, through the whole in-process pipeline; the figure is the largest story row
 * written (target ≤ 256 KB: the Logs Ingestion API refuses a call over 1 MB, Log Analytics cuts a
 * field at 64 KB), next to how many story and evidence rows the attack cost.
 */
import { pod, proc, tetragonExec, tetragonFile } from '../src/demo/builders.ts';
import type { CausewayConfig } from '../src/config/config.ts';
import { count, emptyReport, type BatchReport } from '../src/common/report.ts';
import { InProcessPipeline } from '../src/pipeline/inProcess.ts';
import type { SignalEngine } from '../src/signals/engine.ts';
import type { Sink } from '../src/sinks/sink.ts';
import type { Row, TableName } from '../src/sinks/tables.ts';
import { STORY_ROW_BUDGET } from '../src/story/storyBudget.ts';
import { silentLogger } from '../src/telemetry/log.ts';

const TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const PER_BODY = 500;

/** Keeps the size of the largest row per table and counts rows. */
class LargestRowSink implements Sink {
  readonly name = 'largest-row';
  readonly largest = new Map<TableName, number>();
  readonly rows = new Map<TableName, number>();
  readonly stories = new Set<string>();
  async write(table: TableName, rows: readonly Row[]): Promise<BatchReport> {
    for (const r of rows) {
      this.largest.set(table, Math.max(this.largest.get(table) ?? 0, Buffer.byteLength(JSON.stringify(r))));
      if (table === 'CausewayStories_CL') this.stories.add(String(r.StoryId));
    }
    this.rows.set(table, (this.rows.get(table) ?? 0) + rows.length);
    const report = emptyReport();
    count(report, 'delivered', 'ok', rows.length);
    return report;
  }
  async flush(): Promise<BatchReport> {
    return emptyReport();
  }
  async close(): Promise<void> {}
}

/** Bodies of Tetragon lines: the server, its shell, then `repeats` token-reading execs. */
function* hammerBodies(repeats: number): Generator<string> {
  const base = Date.parse('2026-11-20T10:00:00Z');
  const p = pod('aks-bench', 'agents', 'file-tools', 7, { container: 'mcp' });
  const server = proc(p, 1, '/usr/local/bin/node', '/app/server.js', base - 600_000);
  const sh = proc(p, 100, '/bin/sh', `-c "while true; do cat ${TOKEN}; done"`, base, server);
  yield `${tetragonExec(server)}\n${tetragonExec(sh)}\n`;
  for (let i = 0; i < repeats; i += PER_BODY) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(repeats, i + PER_BODY); j++) {
      const cat = proc(p, 1000 + j, '/bin/cat', TOKEN, base + 10 + j * 2, sh);
      lines.push(tetragonExec(cat), tetragonFile(cat, base + 11 + j * 2, TOKEN));
    }
    yield lines.join('\n') + '\n';
  }
}

/** Runs the section and prints its lines. */
export async function storyRowBudgetBench(
  scale: number,
  config: CausewayConfig,
  signals: SignalEngine,
  line: (s: string) => void,
  fmt: (n: number) => string,
): Promise<void> {
  const repeats = Math.round(100_000 * scale);
  const sink = new LargestRowSink();
  const pipeline = new InProcessPipeline({
    config,
    signals,
    sink,
    logger: silentLogger,
    host: 'bench',
    clock: () => 0,
  });
  const cpu = process.cpuUsage();
  for (const body of hammerBodies(repeats)) await pipeline.submit([{ body, input: 'tetragon' }]);
  await pipeline.flush();
  const used = process.cpuUsage(cpu);
  const largest = sink.largest.get('CausewayStories_CL') ?? 0;
  line(`9. story row budget: one tool's shell reads a token ${fmt(repeats)} times (${PER_BODY} execs per body):`);
  line(
    `   largest story row ${(largest / 1024).toFixed(1)} KB (target ≤ ${STORY_ROW_BUDGET.rowBytes / 1024} KB) · ${sink.stories.size} stories, ${fmt(sink.rows.get('CausewayStories_CL') ?? 0)} story rows · evidence rows ${fmt(sink.rows.get('CausewayEvidence_CL') ?? 0)} · largest evidence row ${((sink.largest.get('CausewayEvidence_CL') ?? 0) / 1024).toFixed(1)} KB · CPU ${((used.user + used.system) / 1e6).toFixed(0)} s`,
  );
}
