/**
 * `causeway replay <files…> [--out <dir>]`: the whole pipeline over files, in one process, tables
 * written to <dir> (or to Log Analytics). Bad records are dead-lettered, never fatal: the exit
 * code is 0 unless the configuration or a file could not be read.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { DEFAULT_MAX_INFLATED_BYTES, inflate, isGzip } from '../common/gzip.ts';
import { emptyReport, formatReport, mergeReports, type BatchReport } from '../common/report.ts';
import type { FlagSettings } from '../config/config.ts';
import { LatestStories } from '../model/latestStories.ts';
import { InProcessPipeline } from '../pipeline/inProcess.ts';
import { LocalTableSink } from '../sinks/localTables.ts';
import { TABLE_NAMES } from '../sinks/tables.ts';
import { bootstrap } from './bootstrap.ts';
import { Progress } from './progress.ts';
import { renderStory } from './renderStory.ts';

/** Big JSON Lines files go through the pipeline in chunks of about this many bytes. */
const CHUNK_BYTES = 4 * 1024 * 1024;

export async function replay(options: {
  files: string[];
  /** Where the local tables go; not needed when the sink is Log Analytics. */
  out?: string;
  configFile?: string;
  flags: FlagSettings;
  env: Record<string, string | undefined>;
}): Promise<number> {
  const boot = await bootstrap({
    configFile: options.configFile,
    flags: options.flags,
    env: options.env,
    tablesDir: options.out,
    requireTablesDir: 'replay needs --out <dir> (where the table files go), or --logs-ingestion-endpoint and --dcr',
  });
  if (boot.sink instanceof LocalTableSink) for (const t of TABLE_NAMES) rmSync(boot.sink.path(t), { force: true });
  const pipeline = new InProcessPipeline({
    config: boot.loaded.config,
    signals: boot.signals,
    baselines: boot.baselines,
    sink: boot.sink,
    logger: boot.logger,
    clock: Date.now,
    host: 'replay',
  });
  const started = Date.now();
  const run = await replayFiles(pipeline, options.files);
  if ('error' in run) {
    process.stderr.write(`causeway: ${run.error}\n`);
    return 1;
  }
  await boot.sink.close();
  const { records, rows, stages, totalBytes, latest } = run;

  const stories = latest.live();
  const bySeverity = ['High', 'Medium', 'Low', 'Informational']
    .map((sev) => `${sev} ${stories.filter((s) => s.severity === sev).length}`)
    .join(', ');
  const out = process.stdout;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  out.write(`Replayed ${options.files.length} file(s), ${(totalBytes / 1e6).toFixed(1)} MB, in ${seconds} s\n`);
  out.write(`Records: ${formatReport(records)}\n`);
  if (stages.counts.dropped) out.write(`Correlation: ${formatReport(stages)}\n`);
  out.write(`Rows: ${formatReport(rows)}\n`);
  out.write(`Stories: ${stories.length} (${bySeverity})\n`);
  for (const s of stories.slice(0, 10)) out.write(renderStory(s, { brief: true }));
  out.write(boot.sink.name === 'local' ? `Tables: ${boot.tablesDir}\n` : `Tables: Log Analytics (${boot.sink.name})\n`);
  return 0;
}

/** What replaying files produced: reports by stage, and the latest version of every story. */
export interface ReplayRun {
  records: BatchReport;
  rows: BatchReport;
  stages: BatchReport;
  latest: LatestStories;
  totalBytes: number;
}

/**
 * The replay path: each file, in chunks, through the one pipeline, then end of input. Shared by
 * `replay` and `policy check --against <files>`; a file that cannot be read stops it.
 */
export async function replayFiles(
  pipeline: InProcessPipeline,
  files: readonly string[],
  options: { quiet?: boolean } = {},
): Promise<ReplayRun | { error: string }> {
  const records = emptyReport();
  const rows = emptyReport();
  const stages = emptyReport();
  const latest = new LatestStories();
  const totalBytes = files.reduce((n, f) => n + safeSize(f), 0);
  const progress = options.quiet ? undefined : new Progress(totalBytes);
  let done = 0;
  for (const file of files) {
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch (e) {
      progress?.done();
      return { error: `cannot read ${file}: ${(e as Error).message}` };
    }
    for (const chunk of chunks(body, DEFAULT_MAX_INFLATED_BYTES)) {
      const result = await pipeline.submit([{ body: chunk, input: file }]);
      mergeReports(records, result.records);
      mergeReports(rows, result.rows);
      mergeReports(stages, result.stages);
      latest.keep(result.stories);
      progress?.update(done + chunk.length, file);
    }
    done += body.length;
  }
  const end = await pipeline.flush();
  mergeReports(rows, end.rows);
  latest.keep(end.stories);
  progress?.done();
  return { records, rows, stages, latest, totalBytes };
}

function safeSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The first byte that is not white space. */
function firstByte(text: Buffer): number | undefined {
  for (const b of text) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return b;
  return undefined;
}

/** Splits large JSON Lines bodies at line boundaries; a JSON array goes whole. */
function* chunks(body: Buffer, maxInflatedBytes: number): Generator<Buffer> {
  let text = body;
  if (isGzip(body) && body.length > CHUNK_BYTES / 8) {
    try {
      text = inflate(body, maxInflatedBytes);
    } catch {
      yield body;
      return;
    }
  }
  // A JSON array is one document; anything else large is read as JSON Lines a chunk at a time,
  // a file whose first line is the torn tail of a record (a rotated log) included.
  if (text.length <= CHUNK_BYTES || firstByte(text) === 0x5b /* [ */) {
    yield text;
    return;
  }
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + CHUNK_BYTES);
    if (end < text.length) {
      const nl = text.indexOf(0x0a, end);
      end = nl === -1 ? text.length : nl + 1;
    }
    yield text.subarray(start, end);
    start = end;
  }
}
