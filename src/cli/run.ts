/**
 * `causeway run`: the stages as Kafka consumer groups (Apache Kafka or the Event Hubs Kafka
 * endpoint). `--stages ingest,workload,story` picks the stages this process runs (default all);
 * run more processes with the same configuration to scale out or fail over. GET /healthz answers
 * on serve.host:serve.port. SIGINT/SIGTERM: running batches finish and commit, then the process
 * leaves its groups.
 */
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { FlagSettings } from '../config/config.ts';
import { ConfigError } from '../errors.ts';
import { FileStateStore } from '../hosts/fileStateStore.ts';
import { STAGES, type StageName } from '../pipeline/stageRunner.ts';
import type { StateStore } from '../pipeline/stateStore.ts';
import { settingName } from '../config/config.ts';
import { bootstrap, usableDirectory } from './bootstrap.ts';

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
  // Before connecting: a state directory that cannot be used is a configuration error, not a hang.
  const stateDir = resolve(config.kafka.stateDir ?? resolve(config.dataDir, 'state'));
  if (!config.kafka.stateAccount)
    usableDirectory(
      stateDir,
      config.kafka.stateDir !== undefined
        ? settingName(boot.loaded, 'kafka.stateDir')
        : settingName(boot.loaded, 'dataDir'),
    );
  const { kafkaClient } = await import('../hosts/kafka/client.ts');
  const { connectClients, startKafkaStages } = await import('../hosts/kafka/kafkaStages.ts');
  const kafka = await kafkaClient({ config, env: options.env, logger: boot.logger });
  let clients: Awaited<ReturnType<typeof connectClients>>;
  try {
    clients = await connectClients(kafka);
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
    ? new (await import('../hosts/functions/blobStateStore.ts')).BlobStateStore(
        new (await import('@azure/storage-blob')).BlobServiceClient(
          `https://${config.kafka.stateAccount}.blob.core.windows.net`,
          new (await import('@azure/identity')).DefaultAzureCredential(),
        ).getContainerClient('causeway-state'),
      )
    : new FileStateStore(stateDir);
  const { host, stop: stopStages } = await startKafkaStages(kafka, clients, options.stages, {
    config,
    signals: boot.signals,
    baselines: boot.baselines,
    sink: boot.sink,
    state,
    logger: boot.logger,
    clock: Date.now,
    host: `kafka/${hostname()}/${process.pid}`,
  });

  const health = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const ok = path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD');
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok ? host.health() : { error: 'GET /healthz' }));
  });
  const port = await listen(health, config.serve.port, config.serve.host);
  const out = process.stdout;
  const where = config.kafka.brokers?.join(', ') ?? config.kafka.sasl?.eventHubsNamespace;
  out.write(`Causeway is running stages ${options.stages.join(', ')} on Kafka ${where}\n`);
  const groups = options.stages.map((s) => `${config.kafka.groupPrefix}-${s}`).join(', ');
  out.write(`  groups: ${groups}; health: http://${config.serve.host}:${port}/healthz\n`);
  const stateWhere = config.kafka.stateAccount ? `Blob ${config.kafka.stateAccount}/causeway-state` : stateDir;
  out.write(`  state: ${stateWhere}; tables: ${boot.sink.name === 'local' ? boot.tablesDir : 'Log Analytics'}\n`);
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
  await stopStages();
  await new Promise<void>((done) => health.close(() => done()));
  await boot.sink.close();
  out.write('Causeway stopped: running batches delivered and committed.\n');
  return 0;
}

/** `causeway flush`: the end-of-input marker on every partition of every raw topic. */
export async function flush(options: {
  configFile?: string;
  flags: FlagSettings;
  env: Record<string, string | undefined>;
}): Promise<number> {
  const boot = await bootstrap({ configFile: options.configFile, flags: options.flags, env: options.env });
  const { config } = boot.loaded;
  const { kafkaClient } = await import('../hosts/kafka/client.ts');
  const { connectClients } = await import('../hosts/kafka/kafkaStages.ts');
  const { rawTopics } = await import('../hosts/kafka/kafkaHost.ts');
  const { flushMarkers } = await import('../hosts/kafka/publisher.ts');
  const { producer, admin } = await connectClients(
    await kafkaClient({ config, env: options.env, logger: boot.logger }),
  );
  try {
    const topics = rawTopics(config).map((t) => t.topic);
    const n = await flushMarkers(admin, producer, topics);
    process.stdout.write(`End-of-input marker on ${n} partitions of ${topics.join(', ')}\n`);
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
  return 0;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => done((server.address() as { port: number }).port));
  });
}
