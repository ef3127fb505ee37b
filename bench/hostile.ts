/**
 * Section 10: hostile input (issue 14).
 *   a. throughput with 1% hostile records (nested 5,000 deep, an impossible time, torn lines, huge
 *      repeated fields) as a ratio to the same clean mix, through the whole in-process pipeline
 *      (target ≥ 0.9);
 *   b. a real `causeway serve` fed a 30 KB gzip body that inflates to 31 MB of `{}` lines: peak
 *      resident memory against limits.maxMemoryMB, and /healthz answering throughout;
 *   c. the largest story row while one story is hammered with 100k repeats: finding 5, measured
 *      with the story presentation work (a placeholder line here).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CausewayConfig } from '../src/config/config.ts';
import { InProcessPipeline } from '../src/pipeline/inProcess.ts';
import type { SignalEngine } from '../src/signals/engine.ts';
import type { Sink } from '../src/sinks/sink.ts';
import { repoPath } from '../src/repoPath.ts';
import { silentLogger } from '../src/telemetry/log.ts';
import { Mix, type Chunk } from './mix.ts';

type Line = (s: string) => void;

/** One hostile line of each kind, in turn, from a real line of the mix. */
function hostileLine(real: string, n: number): string {
  switch (n % 4) {
    case 0:
      return `{"process_exec":{"process":${'['.repeat(5000)}1${']'.repeat(5000)}}}`;
    case 1:
      return real.replace(/"time":"[^"]*"/, '"time":"999999999999999999999999999999"');
    case 2:
      return real.slice(0, Math.floor(real.length / 2));
    default:
      return real.replace(/"arguments":"/, `"arguments":"${'--again '.repeat(2048)}`);
  }
}

/** The chunk with one hostile line after every 99 real Tetragon lines (1% of lines). */
function withHostile(chunk: Chunk): { messages: Chunk['messages']; hostile: number } {
  let n = 0;
  let seen = 0;
  const messages = chunk.messages.map((m) => {
    if (m.input !== 'tetragon') return m;
    const lines = m.body.split('\n').filter(Boolean);
    const out: string[] = [];
    for (const l of lines) {
      out.push(l);
      if (++seen % 99 === 0) out.push(hostileLine(l, n++));
    }
    return { ...m, body: out.join('\n') + '\n' };
  });
  return { messages, hostile: n };
}

async function timePipeline(
  messages: Chunk['messages'],
  config: CausewayConfig,
  signals: SignalEngine,
  sink: Sink,
): Promise<number> {
  const pipeline = new InProcessPipeline({
    config,
    signals,
    sink,
    logger: silentLogger,
    host: 'bench',
    clock: () => 0,
  });
  const t = performance.now();
  for (const m of messages) await pipeline.submit([{ body: m.body, input: m.input }]);
  await pipeline.flush();
  return performance.now() - t;
}

async function throughput(
  scale: number,
  config: CausewayConfig,
  signals: SignalEngine,
  sink: () => Sink,
  line: Line,
  fmt: (n: number) => string,
): Promise<void> {
  const mix = new Mix({ pods: 500, start: Date.parse('2026-11-20T10:00:00Z') });
  const clean = mix.chunk(Math.round(200_000 * scale), { ratePerSec: 20_000, attackEvery: 10_000, agentShare: 0.004 });
  const hostile = withHostile(clean);
  let cleanBest = Infinity;
  let hostileBest = Infinity;
  for (let round = 0; round < 3; round++) {
    cleanBest = Math.min(cleanBest, await timePipeline(clean.messages, config, signals, sink()));
    hostileBest = Math.min(hostileBest, await timePipeline(hostile.messages, config, signals, sink()));
  }
  const rate = (ms: number) => fmt((clean.events / ms) * 1000);
  line(
    `10. hostile input: ${fmt(clean.events)} events, then the same with ${fmt(hostile.hostile)} hostile lines (1%: nested 5,000 deep, impossible time, torn, 16 KB repeated field):`,
  );
  line(
    `   clean ${rate(cleanBest)} events/s · with hostile lines ${rate(hostileBest)} events/s · ratio ${(cleanBest / hostileBest).toFixed(2)} (target ≥ 0.9)`,
  );
}

/** Peak resident set of a process (Linux VmHWM), in bytes; undefined elsewhere. */
function peakRss(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function lineBomb(config: CausewayConfig, line: Line, fmt: (n: number) => string): Promise<void> {
  const lines = 10_500_000;
  const bomb = gzipSync(Buffer.from('{}\n'.repeat(lines)), { level: 9 });
  const bin = repoPath('bin/causeway.mjs');
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--no-demo', '--port', '0', '--data-dir', mkdtempSync(join(tmpdir(), 'cw-bench-bomb-'))],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CAUSEWAY_LOG_LEVEL: 'warn' } },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  // Read stderr too: a pipe nobody drains stops the child once it fills.
  child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2_000)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out} ${err}`)), 60_000);
    child.stdout.on('data', () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  const before = peakRss(child.pid!);
  const t = performance.now();
  let done = false;
  const answer = fetch(url('/ingest'), { method: 'POST', body: bomb }).then((r) => {
    done = true;
    return r.status;
  });
  let polls = 0;
  let answered = 0;
  let slowest = 0;
  while (!done) {
    const s = performance.now();
    polls++;
    if ((await fetch(url('/healthz'))).ok) answered++;
    slowest = Math.max(slowest, performance.now() - s);
    await new Promise((r) => setTimeout(r, 20));
  }
  const status = await answer;
  const seconds = (performance.now() - t) / 1000;
  const peak = peakRss(child.pid!);
  await new Promise<void>((resolve) => {
    child.on('exit', () => resolve());
    child.kill('SIGTERM');
  });
  const mb = (b: number | undefined) => (b === undefined ? 'n/a' : `${fmt(b / 1024 / 1024)} MB`);
  line(
    `   gzip line bomb (${fmt(bomb.length / 1024)} KB → ${((lines * 3) / 1e6).toFixed(1)} MB, ${fmt(lines)} records) to serve: answered ${status} in ${seconds.toFixed(1)} s; peak RSS ${mb(peak)} (at start ${mb(before)}; limit ${fmt(config.limits.maxMemoryMB)} MB); /healthz answered ${answered} of ${polls} polls, slowest ${fmt(slowest)} ms`,
  );
}

export async function hostileBench(
  scale: number,
  config: CausewayConfig,
  signals: SignalEngine,
  sink: () => Sink,
  line: Line,
  fmt: (n: number) => string,
): Promise<void> {
  await throughput(scale, config, signals, sink, line, fmt);
  await lineBomb(config, line, fmt);
  line('   largest story row under 100k repeats of one signalling action: section 9');
}
