/**
 * CPU per event by host: the same mix through the one stage runner as each host runs it, measured
 * as process CPU time (user + system), so the broker's share of this two-core machine does not
 * blur the Kafka figure:
 *   in-process   the local host's InProcessPipeline (objects handed between stages)
 *   Functions    the runner as the Functions host drives it: Event Hubs-sized trigger batches
 *                (host.json maxEventBatchSize) over an in-memory hub stand-in that serialises like
 *                Event Hubs, a snapshot after every batch (JSON, as to Blob), rows flushed per batch
 *   Kafka        `causeway run` consumer processes on a real broker (their CPU from /proc)
 * Targets: Functions ≤ 1.3 × in-process, Kafka ≤ 1.5 ×.
 */
import { readFileSync } from 'node:fs';
import type { CausewayConfig } from '../src/config/config.ts';
import { BROADCAST } from '../src/model/episode.ts';
import { InProcessPipeline } from '../src/pipeline/inProcess.ts';
import {
  PUBLISHED_ALL,
  type InternalHub,
  type KeyedMessage,
  type Publisher,
  type PublishResult,
} from '../src/pipeline/publisher.ts';
import { StageRunner } from '../src/pipeline/stageRunner.ts';
import type { StateStore } from '../src/pipeline/stateStore.ts';
import { partitionOf } from '../src/ingest/route.ts';
import type { SignalEngine } from '../src/signals/engine.ts';
import type { Sink } from '../src/sinks/sink.ts';
import { silentLogger } from '../src/telemetry/log.ts';
import type { Chunk } from './mix.ts';

/** host.json `extensions.eventHubs.maxEventBatchSize`. */
const TRIGGER_BATCH = 500;

/** Process CPU time in milliseconds. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * This process's main thread's CPU time in milliseconds, from /proc (Linux; NaN elsewhere): what
 * bounds throughput when stage ① workers have cores of their own.
 */
export function mainThreadCpuMs(): number {
  return childCpuMs(process.pid, process.pid) ?? NaN;
}

/** A child process's CPU time in milliseconds, from /proc (Linux); undefined elsewhere. */
export function childCpuMs(pid: number, thread?: number): number | undefined {
  try {
    const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat (11 and 12 after the command), in clock ticks.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

export async function inProcessCpu(
  chunk: Chunk,
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
  const t = cpuMs();
  for (const m of chunk.messages) await pipeline.submit([{ body: m.body, input: m.input }]);
  await pipeline.flush();
  return cpuMs() - t;
}

export async function functionsCpu(
  chunk: Chunk,
  config: CausewayConfig,
  signals: SignalEngine,
  sink: Sink,
): Promise<number> {
  const hubs = new SerialisingHubs(config);
  const runner = new StageRunner({
    config,
    signals,
    sink,
    publisher: hubs,
    state: new JsonStateStore(),
    logger: silentLogger,
    clock: () => 0,
    host: 'bench-functions',
    // As deployed: a snapshot every functions.snapshotSeconds (the bench's run is shorter: one per
    // partition), the gap read back by a new owner (none here: one instance owns every partition).
    snapshotEveryMs: config.functions.snapshotSeconds * 1000,
    gaps: { read: async () => [] },
    flushRowsEachBatch: true,
  });
  const t = cpuMs();
  for (let i = 0; i < chunk.messages.length; i += TRIGGER_BATCH) {
    const batch = chunk.messages.slice(i, i + TRIGGER_BATCH);
    for (const input of ['tetragon', 'kubescape', 'falco', 'defender', 'otlp']) {
      const messages = batch.filter((m) => m.input === input).map((m) => ({ body: Buffer.from(m.body) }));
      if (messages.length) await runner.run({ stage: 'ingest', partition: '0', source: input, messages });
    }
    await hubs.pump(runner);
  }
  await hubs.publish('workload-events', [{ key: BROADCAST, body: { control: 'flush' } }]);
  await hubs.pump(runner);
  return cpuMs() - t;
}

/** Event Hubs in memory: partition by key, bodies serialised to bytes as the SDK sends them. */
class SerialisingHubs implements Publisher {
  private readonly queues: Record<InternalHub, Buffer[][]>;
  private readonly sequences: Record<InternalHub, number[]>;

  constructor(config: CausewayConfig) {
    const n = {
      'workload-events': config.correlation.workloadPartitions,
      episodes: config.correlation.storyPartitions,
    };
    this.queues = {
      'workload-events': Array.from({ length: n['workload-events'] }, () => []),
      episodes: Array.from({ length: n.episodes }, () => []),
    };
    this.sequences = { 'workload-events': Array(n['workload-events']).fill(0), episodes: Array(n.episodes).fill(0) };
  }

  async publish(hub: InternalHub, messages: readonly KeyedMessage[]): Promise<PublishResult> {
    const queues = this.queues[hub];
    for (const m of messages) {
      const body = Buffer.from(JSON.stringify(m.body));
      if (m.key === BROADCAST) for (const q of queues) q.push(body);
      else queues[partitionOf(m.key, queues.length)]!.push(body);
    }
    return PUBLISHED_ALL;
  }

  /** Trigger batches on every partition until both hubs are empty. */
  async pump(runner: StageRunner): Promise<void> {
    for (let more = true; more;) {
      more = false;
      for (const hub of ['workload-events', 'episodes'] as const) {
        const queues = this.queues[hub];
        for (let p = 0; p < queues.length; p++) {
          while (queues[p]!.length) {
            more = true;
            const bodies = queues[p]!.splice(0, TRIGGER_BATCH);
            const messages = bodies.map((body) => ({ body, sequence: this.sequences[hub][p]!++ }));
            const stage = hub === 'workload-events' ? 'workload' : 'story';
            await runner.run({ stage, partition: String(p), source: hub, messages });
          }
        }
      }
    }
  }
}

/** Snapshots serialised as they would be for Blob Storage, then kept. */
class JsonStateStore implements StateStore {
  private readonly saved = new Map<string, string>();
  async load<T>(key: string): Promise<T | undefined> {
    const text = this.saved.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }
  async save(key: string, snapshot: unknown): Promise<void> {
    this.saved.set(key, JSON.stringify(snapshot));
  }
}
