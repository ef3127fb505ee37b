/**
 * `causeway run`: the stages as Kafka consumer groups (Apache Kafka or the Event Hubs Kafka
 * endpoint). `--stages ingest,workload,story` picks the stages this process runs (default all);
 * run more processes with the same configuration to scale out or fail over. GET /healthz answers
 * on serve.host:serve.port. SIGINT/SIGTERM: running batches finish and commit, then the process
 * leaves its groups.
 */
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Partitioners } from 'kafkajs';
import type { FlagSettings } from '../config/config.ts';
import { ConfigError } from '../errors.ts';
import { KafkaHost, rawTopics, STAGES, type StageName } from '../hosts/kafka/kafkaHost.ts';
import { kafkaClient } from '../hosts/kafka/client.ts';
import { flushMarkers, KafkaPublisher } from '../hosts/kafka/publisher.ts';
import { PartitionedStages } from '../hosts/partitions.ts';
import { BlobStateStore, FileStateStore, type StateStore } from '../hosts/stateStore.ts';
import { bootstrap } from './bootstrap.ts';

export function parseStages(value: string | undefined): StageName[] {
  if (value === undefined) return [...STAGES];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !STAGES.includes(n as StageName));
  if (unknown.length || !names.length)
    throw new ConfigError([
      {
        setting: '--stages',
        problem: `unknown stage ${JSON.stringify(unknown.join(',') || value)}`,
        fix: `use a comma-separated subset of ${STAGES.join(',')}`,
      },
    ]);
  return [...new Set(names)] as StageName[];
}

export async function run(options: {
  configFile?: string;
  flags: FlagSettings;
  env: Record<string, string | undefined>;
  stages: StageName[];
  signal?: AbortSignal;
  onListening?: (port: number) => void;
}): Promise<number> {
  const boot = await bootstrap({ configFile: options.configFile, flags: options.flags, env: options.env });
  const { config } = boot.loaded;
  const kafka = await kafkaClient({ config, env: options.env, logger: boot.logger });
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await producer.connect();
  } catch (e) {
    throw new ConfigError([
      {
        setting: 'kafka.brokers (CAUSEWAY_KAFKA_BROKERS)',
        problem: `cannot reach ${config.kafka.brokers?.join(', ') ?? config.kafka.sasl?.eventHubsNamespace}: ${(e as Error).message}`,
        fix: 'check the broker addresses, kafka.tls and kafka.sasl, and that the network allows the connection',
      },
    ]);
  }
  const state: StateStore = config.kafka.stateAccount
    ? new BlobStateStore(
        new (await import('@azure/storage-blob')).BlobServiceClient(
          `https://${config.kafka.stateAccount}.blob.core.windows.net`,
          new (await import('@azure/identity')).DefaultAzureCredential(),
        ).getContainerClient('causeway-state'),
      )
    : new FileStateStore(resolve(config.kafka.stateDir ?? resolve(config.dataDir, 'state')));
  const t = config.kafka.topics;
  const runtime = new PartitionedStages({
    snapshotEveryMs: config.kafka.snapshotSeconds * 1000,
    baselines: boot.baselines,
    config,
    signals: boot.signals,
    sink: boot.sink,
    publisher: new KafkaPublisher(producer, admin, { 'workload-events': t.workloadEvents, episodes: t.episodes }),
    state,
    logger: boot.logger,
    clock: Date.now,
    host: `kafka/${hostname()}/${process.pid}`,
  });
  const host = new KafkaHost({ kafka, producer, admin, config, stages: options.stages, runtime, logger: boot.logger });
  await host.start();

  const health = createServer((req, res) => {
    const ok = req.url === '/healthz';
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        ok ? { status: runtime.lastError ? 'degraded' : 'ok', ...host.health() } : { error: 'GET /healthz' },
      ),
    );
  });
  const port = await new Promise<number>((done, fail) => {
    health.once('error', fail);
    health.listen(config.serve.port, config.serve.host, () => done((health.address() as { port: number }).port));
  });
  const out = process.stdout;
  out.write(
    `Causeway is running stages ${options.stages.join(', ')} on Kafka ${config.kafka.brokers?.join(', ') ?? config.kafka.sasl?.eventHubsNamespace}\n`,
  );
  out.write(
    `  groups: ${options.stages.map((s) => `${config.kafka.groupPrefix}-${s}`).join(', ')}; health: http://${config.serve.host}:${port}/healthz\n`,
  );
  out.write(
    `  state: ${config.kafka.stateAccount ? `Blob ${config.kafka.stateAccount}/causeway-state` : resolve(config.kafka.stateDir ?? resolve(config.dataDir, 'state'))}; tables: ${boot.sink.name === 'local' ? boot.tablesDir : 'Log Analytics'}\n`,
  );
  options.onListening?.(port);

  await new Promise<void>((done) => {
    const stop = (why: string) => {
      boot.logger.event('info', 'host.stopping', { why });
      done();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    options.signal?.addEventListener('abort', () => stop('abort'));
  });
  await host.stop();
  await new Promise<void>((done) => health.close(() => done()));
  await boot.sink.close();
  out.write('Causeway stopped: running batches delivered and committed.\n');
  return 0;
}

/** `causeway flush`: an end-of-input marker on every partition of every raw topic. */
export async function flush(options: {
  configFile?: string;
  flags: FlagSettings;
  env: Record<string, string | undefined>;
}): Promise<number> {
  const boot = await bootstrap({ configFile: options.configFile, flags: options.flags, env: options.env });
  const { config } = boot.loaded;
  const kafka = await kafkaClient({ config, env: options.env, logger: boot.logger });
  const admin = kafka.admin();
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await admin.connect();
  await producer.connect();
  try {
    const n = await flushMarkers(
      admin,
      producer,
      rawTopics(config).map((t) => t.topic),
    );
    process.stdout.write(
      `End-of-input marker on ${n} partitions of ${rawTopics(config)
        .map((t) => t.topic)
        .join(', ')}\n`,
    );
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
  return 0;
}
