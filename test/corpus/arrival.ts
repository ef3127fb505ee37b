/**
 * Arrival orders: when each record of a scenario reaches the pipeline.
 * - `event`: in event-time order, as if every product delivered at once;
 * - `shuffled`: each record up to 5 minutes late, independently (well within the 45-minute
 *   allowed lateness), so children arrive before parents and exits before execs;
 * - `alerts-late`: every product's real delay (log shipper seconds, span export after the span
 *   ends, Kubescape bulking, Defender 10–30 minutes);
 * - `alerts-first`: the sensor and telemetry pipeline is backed up 1–3 minutes while alerts are
 *   delivered at once, so every alert arrives before the processes and spans it names.
 * Tetragon lines arriving in the same second travel in one body (the log shipper's batch).
 * Deliveries are trigger batches: records are taken as they arrive until a batch holds
 * `maxRecords` (100, the Event Hubs trigger's default maxEventBatchSize) or `maxWaitMs` have
 * passed since its first record (60 s, the trigger's maxWaitTime when it waits for full batches).
 * At these rates (a few records a second) that is tens of deliveries per scenario.
 */
import type { CorpusRecord } from './recorder.ts';
import { Rng } from './rng.ts';

/** Every arrival order the bench and the tests replay. */
export const ARRIVAL_ORDERS = ['event', 'shuffled', 'alerts-late', 'alerts-first'] as const;

/** One arrival order (see the file comment). */
export type ArrivalOrder = (typeof ARRIVAL_ORDERS)[number];

/** One batch of bodies that arrive together. */
export interface Delivery {
  at: number;
  inputs: { body: string; input: string }[];
}

const SHUFFLE_MS = 5 * 60_000;

/** When each record arrives, in the given order (ms, same index as `records`). */
export function arrivalTimes(records: readonly CorpusRecord[], order: ArrivalOrder, seed: string): number[] {
  const r = new Rng(`${seed}/arrival/${order}`);
  const backlog = r.int(60_000, 180_000);
  return records.map((rec) => {
    switch (order) {
      case 'event':
        return rec.time;
      case 'shuffled':
        return rec.time + r.int(0, SHUFFLE_MS);
      case 'alerts-late':
        return rec.time + rec.delayMs;
      case 'alerts-first':
        return rec.alert ? rec.time + r.int(100, 1_000) : rec.time + rec.delayMs + backlog;
    }
  });
}

/** How records are cut into deliveries (trigger batches). */
export interface Batching {
  maxRecords: number;
  maxWaitMs: number;
}

/** Trigger batches of up to 100 records or 60 s. */
export const DEFAULT_BATCHING: Batching = { maxRecords: 100, maxWaitMs: 60_000 };

/** The scenario's records as deliveries, in the given arrival order. */
export function arrive(
  records: readonly CorpusRecord[],
  order: ArrivalOrder,
  seed: string,
  batching: Batching = DEFAULT_BATCHING,
): Delivery[] {
  const times = arrivalTimes(records, order, seed);
  const timed = records.map((rec, i) => ({ rec, at: times[i]!, i }));
  timed.sort((a, b) => a.at - b.at || a.i - b.i);

  const deliveries: Delivery[] = [];
  let current: Delivery | undefined;
  let size = 0;
  let second = Number.NaN;
  let tetragon: string[] = [];
  const flushLines = () => {
    if (current && tetragon.length) current.inputs.push({ body: tetragon.join('\n') + '\n', input: 'tetragon' });
    tetragon = [];
  };
  for (const { rec, at } of timed) {
    if (!current || size >= batching.maxRecords || at >= current.at + batching.maxWaitMs) {
      flushLines();
      deliveries.push((current = { at, inputs: [] }));
      size = 0;
    }
    size++;
    if (rec.input !== 'tetragon') {
      current.inputs.push({ body: rec.body, input: rec.input });
      continue;
    }
    // One shipper body per second of arrival.
    if (Math.floor(at / 1000) !== second) {
      flushLines();
      second = Math.floor(at / 1000);
    }
    tetragon.push(rec.body);
  }
  flushLines();
  return deliveries;
}
