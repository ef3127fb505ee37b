/**
 * The Kafka host's wiring, written once: a connected producer and admin client, the stage runner
 * over the internal topics, and the consumer groups for the chosen stages. `causeway run`, the
 * tests and the bench all start stages through here.
 */
import { Partitioners, type Admin, type Kafka, type Producer } from 'kafkajs';
import type { CausewayConfig } from '../../config/config.ts';
import type { RunnerDeps } from '../../pipeline/runnerDeps.ts';
import { IngestPool, ingestWorkerCount } from '../../pipeline/ingestPool.ts';
import { ingestDecodeContext, StageRunner, type StageName } from '../../pipeline/stageRunner.ts';
import { KafkaHost } from './kafkaHost.ts';
import { KafkaPublisher } from './publisher.ts';

/** A producer (murmur2 partitioner, like the Java client, so every producer agrees) and an admin client, connected. */
export async function connectClients(kafka: Kafka): Promise<{ producer: Producer; admin: Admin }> {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const admin = kafka.admin();
  await admin.connect();
  await producer.connect();
  return { producer, admin };
}

export interface KafkaStages {
  host: KafkaHost;
  runtime: StageRunner;
  stop(): Promise<void>;
}

/** Starts the consumer groups of `stages` over one stage runner. */
export async function startKafkaStages(
  kafka: Kafka,
  clients: { producer: Producer; admin: Admin },
  stages: readonly StageName[],
  deps: Omit<RunnerDeps, 'publisher' | 'snapshotEveryMs' | 'flushRowsEachBatch'> & { config: CausewayConfig },
): Promise<KafkaStages> {
  const { config, logger } = deps;
  const t = config.kafka.topics;
  // Stage ① decodes in worker threads while this thread runs stages ② and ③ (and the transport).
  const workers = stages.includes('ingest') ? ingestWorkerCount(config.pipeline.ingestWorkers) : 0;
  const pool = workers
    ? new IngestPool({
        size: workers,
        setup: { decode: ingestDecodeContext(config), limits: config.limits, packs: deps.signals.packs },
        onWorkerLost: (error) => logger.event('error', 'ingest.worker-lost', { error: error.name }),
      })
    : undefined;
  const runtime = new StageRunner({
    ...deps,
    ingestDecoder: pool,
    snapshotEveryMs: config.kafka.snapshotSeconds * 1000,
    flushRowsEachBatch: true,
    publisher: new KafkaPublisher(clients.producer, clients.admin, {
      'workload-events': t.workloadEvents,
      episodes: t.episodes,
    }),
  });
  const host = new KafkaHost({ kafka, ...clients, config, stages, runtime, logger });
  await host.start();
  return {
    host,
    runtime,
    stop: async () => {
      await host.stop();
      await pool?.close();
    },
  };
}
