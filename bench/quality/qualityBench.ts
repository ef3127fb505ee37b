/**
 * Bench section 6: story quality on the labelled corpus (test/corpus). Every family is generated
 * for N seeds, each scenario replayed in every arrival order, and scored against its labels
 * (score.ts). Prints one line per family and arrival order, worst family first, then the overall
 * figures per order, each measure marked against its target (DESIGN §4.1, issue 13).
 *   QUALITY_SEEDS=5            seeds per family (default 5)
 *   QUALITY_FAMILIES=a,b       only these families
 *   QUALITY_ORDERS=event,…     only these arrival orders
 *   QUALITY_WORKERS=2          worker threads (default: 2, or fewer cores)
 */
import { ARRIVAL_ORDERS, type ArrivalOrder } from '../../test/corpus/arrival.ts';
import { FAMILIES, family } from '../../test/corpus/catalogue.ts';
import { Worker } from 'node:worker_threads';
import { runJob, type Job, type JobResult } from './replay.ts';
import { missedTargets, summarise, targetsMet, TARGETS, type RunScore, type Summary } from './score.ts';

/** What to measure: seeds per family, and optionally fewer families, orders or threads. */
export interface QualityOptions {
  seeds: number;
  families?: readonly string[];
  orders?: readonly ArrivalOrder[];
  /** Worker threads (each replays whole family/seed jobs); 1 runs everything in this thread. */
  workers?: number;
}

/** Every run's score, the per-family table, and how much was replayed in how long. */
export interface QualityResult {
  runs: RunScore[];
  /** Per family, per order. */
  table: { family: string; order: ArrivalOrder; summary: Summary }[];
  events: number;
  ms: number;
}

/** Runs the corpus through the pipeline, in worker threads when asked (and when compiled). */
export async function measureQuality(options: QualityOptions): Promise<QualityResult> {
  const families = options.families?.length ? options.families.map(family) : FAMILIES;
  const orders = options.orders?.length ? [...options.orders] : [...ARRIVAL_ORDERS];
  const started = performance.now();
  const jobs: Job[] = families.flatMap((f) =>
    Array.from({ length: options.seeds }, (_, i) => ({ family: f.name, seed: i + 1, orders })),
  );
  const results = await runJobs(jobs, options.workers ?? 1);
  const runs = results.flatMap((r) => r.runs);
  const table = families.flatMap((f) =>
    orders.map((order) => ({
      family: f.name,
      order,
      summary: summarise(runs.filter((r) => r.family === f.name && r.order === order)),
    })),
  );
  return { runs, table, events: results.reduce((n, r) => n + r.events, 0), ms: performance.now() - started };
}

/** Jobs in order of `jobs`, run by a small pool of worker threads (the compiled worker.js). */
async function runJobs(jobs: Job[], workers: number): Promise<JobResult[]> {
  const script = new URL('./worker.js', import.meta.url);
  if (workers <= 1 || !import.meta.url.endsWith('.js')) {
    const out: JobResult[] = [];
    for (const job of jobs) out.push(await runJob(job));
    return out;
  }
  const results: JobResult[] = new Array(jobs.length);
  let next = 0;
  const pool = Array.from({ length: Math.min(workers, jobs.length) }, async () => {
    const worker = new Worker(script);
    const ask = (job: Job) =>
      new Promise<JobResult>((resolve, reject) => {
        const onMessage = (m: { ok: true; result: JobResult } | { ok: false; error: string }) => {
          worker.off('error', onError);
          if (m.ok) resolve(m.result);
          else reject(new Error(`quality bench worker failed: ${m.error}`));
        };
        const onError = (e: Error) => {
          worker.off('message', onMessage);
          reject(e);
        };
        worker.once('message', onMessage);
        worker.once('error', onError);
        worker.postMessage(job);
      });
    try {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await ask(jobs[i]!);
      }
    } finally {
      await worker.terminate();
    }
  });
  await Promise.all(pool);
  return results;
}

const mark = (ok: boolean) => (ok ? '✓' : '✗');

function cells(s: Summary): string[] {
  const met = targetsMet(s);
  return [
    `${s.storiesPerAttack.toFixed(2)} ${mark(met.storiesPerAttack)}`,
    `${s.factRecall.toFixed(2)} ${mark(met.factRecall)}`,
    `${s.precision === undefined ? '  — ' : s.precision.toFixed(2)} ${mark(met.precision)}`,
    `${s.benignPerHour.toFixed(1)} ${mark(met.benignPerHour)}`,
    `${s.merged} ${mark(met.merged)}`,
    `${Object.values(met).filter(Boolean).length}/5`,
  ];
}

/** How far a family is from its targets: missed targets over all orders, then mean recall. */
function badness(rows: { summary: Summary }[]): [number, number] {
  return [
    rows.reduce((n, r) => n + missedTargets(r.summary).length, 0),
    -rows.reduce((n, r) => n + r.summary.factRecall, 0),
  ];
}

/** The table, worst family first. */
export function formatQuality(result: QualityResult, options: QualityOptions): string[] {
  const orders = [...new Set(result.table.map((r) => r.order))];
  const families = [...new Set(result.table.map((r) => r.family))];
  const ranked = families
    .map((f) => ({ f, b: badness(result.table.filter((r) => r.family === f)) }))
    .sort((a, b) => b.b[0] - a.b[0] || b.b[1] - a.b[1] || a.f.localeCompare(b.f))
    .map((x) => x.f);
  const header = ['family', 'order', 'stories/attack', 'fact recall', 'precision', 'benign M+/h', 'merged', 'met'];
  const widths = [20, 13, 15, 12, 10, 12, 7, 4];
  const fmt = (cols: string[]) =>
    '   ' +
    cols
      .map((c, i) => c.padEnd(widths[i]!))
      .join(' ')
      .trimEnd();
  const out: string[] = [
    `6. story quality on the labelled corpus: ${families.length} families × ${options.seeds} seeds × ${orders.length} arrival orders = ${result.runs.length} replays, ${Math.round(result.events).toLocaleString('en-US')} events, ${(result.ms / 1000).toFixed(0)} s`,
    `   targets: stories/attack = ${TARGETS.storiesPerAttack} (every attack in exactly one Medium+ story), fact recall ≥ ${TARGETS.factRecall}, evidence precision ≥ ${TARGETS.precision}, benign Medium+ stories/h = ${TARGETS.benignPerHour}, merged attacks = ${TARGETS.merged}`,
    fmt(header),
  ];
  for (const f of ranked)
    for (const order of orders) {
      const row = result.table.find((r) => r.family === f && r.order === order)!;
      out.push(fmt([f, order, ...cells(row.summary)]));
    }
  for (const order of orders)
    out.push(fmt(['overall', order, ...cells(summarise(result.runs.filter((r) => r.order === order)))]));
  const all = summarise(result.runs);
  out.push(fmt(['overall', 'all', ...cells(all)]));
  const metFamilies = ranked.filter((f) =>
    result.table.filter((r) => r.family === f).every((r) => missedTargets(r.summary).length === 0),
  );
  out.push(
    `   families meeting every target in every order: ${metFamilies.length}/${families.length}${metFamilies.length ? ` (${metFamilies.join(', ')})` : ''}`,
  );
  if (all.unlabelledRows)
    out.push(`   warning: ${all.unlabelledRows} evidence rows had no label (corpus and decoders out of step)`);
  return out;
}
