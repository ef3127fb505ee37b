/**
 * `BENCH_SECTIONS=6 npm run bench`: the quality table, configured from the environment
 * (QUALITY_SEEDS, QUALITY_FAMILIES, QUALITY_ORDERS, QUALITY_WORKERS; see qualityBench.ts).
 */
import { availableParallelism } from 'node:os';
import { ARRIVAL_ORDERS, type ArrivalOrder } from '../../test/corpus/arrival.ts';
import { formatQuality, measureQuality, type QualityOptions } from './qualityBench.ts';

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** Measures and prints the quality table, settings from QUALITY_* variables. */
export async function qualitySection(line: (s: string) => void): Promise<void> {
  const orders = list(process.env.QUALITY_ORDERS);
  const unknown = orders.filter((o) => !(ARRIVAL_ORDERS as readonly string[]).includes(o));
  if (unknown.length)
    throw new Error(
      `QUALITY_ORDERS names unknown arrival orders (${unknown.length}); use some of ${ARRIVAL_ORDERS.join(', ')}`,
    );
  const seeds = Number(process.env.QUALITY_SEEDS ?? 5);
  if (!Number.isInteger(seeds) || seeds < 1)
    throw new Error('QUALITY_SEEDS must be a whole number of seeds, 1 or more');
  const workers = Number(process.env.QUALITY_WORKERS ?? Math.min(2, availableParallelism()));
  if (!Number.isInteger(workers) || workers < 1)
    throw new Error('QUALITY_WORKERS must be a whole number of threads, 1 or more');
  const options: QualityOptions = {
    seeds,
    families: list(process.env.QUALITY_FAMILIES),
    orders: orders as ArrivalOrder[],
    workers,
  };
  const result = await measureQuality(options);
  for (const l of formatQuality(result, options)) line(l);
}
