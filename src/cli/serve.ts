/**
 * `causeway serve` (what `npm start` runs): the local pipeline as a service on loopback, the
 * bundled demo replayed at start-up unless --no-demo, SIGINT/SIGTERM drain and exit cleanly.
 */
import { resolve } from 'node:path';
import type { FlagSettings } from '../config/config.ts';
import { demoAttack } from '../demo/scenarios.ts';
import { FileStateStore } from '../hosts/fileStateStore.ts';
import { ENDPOINTS, LocalHost } from '../hosts/local/localHost.ts';
import { InProcessPipeline } from '../pipeline/inProcess.ts';
import { ingestWorkerCount } from '../pipeline/ingestPool.ts';
import { settingName, type LoadedConfig } from '../config/config.ts';
import { ConfigError } from '../errors.ts';
import { bootstrap, usableDirectory } from './bootstrap.ts';
import { renderStory } from './renderStory.ts';

export async function serve(options: {
  configFile?: string;
  flags: FlagSettings;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
  onListening?: (port: number) => void;
}): Promise<number> {
  const boot = await bootstrap({ configFile: options.configFile, flags: options.flags, env: options.env });
  const { config } = boot.loaded;
  const stateDir = resolve(config.dataDir, 'state');
  usableDirectory(stateDir, settingName(boot.loaded, 'dataDir'));
  const pipeline = new InProcessPipeline({
    config,
    signals: boot.signals,
    baselines: boot.baselines,
    sink: boot.sink,
    logger: boot.logger,
    clock: Date.now,
    host: 'local',
    state: new FileStateStore(stateDir),
    ingestWorkers: ingestWorkerCount(config.pipeline.ingestWorkers),
  });
  const host = new LocalHost({
    pipeline,
    host: config.serve.host,
    port: config.serve.port,
    maxBodyBytes: config.serve.maxBodyBytes,
    limits: config.limits,
    tablesDir: boot.sink.name === 'local' ? boot.tablesDir : undefined,
  });
  let port: number;
  try {
    port = await host.listen();
  } catch (e) {
    throw listenProblem(e, boot.loaded);
  }
  const out = process.stdout;
  out.write(`Causeway is listening on http://${config.serve.host}:${port}\n`);
  for (const [path, e] of Object.entries(ENDPOINTS)) out.write(`  POST ${path.padEnd(18)} ${e.describe}\n`);
  out.write(`  GET  /healthz            counters and stage state\n`);
  out.write(`  GET  /                   the story viewer\n`);
  out.write(`Tables: ${boot.tablesDir} (${boot.sink.name} sink)\n`);
  options.onListening?.(port);
  const kafkaInput =
    config.kafka.brokers || config.kafka.sasl?.eventHubsNamespace
      ? await startKafkaInput(options.env, boot, host)
      : undefined;

  if (config.demo) {
    const base = Date.now() - 30 * 60_000;
    const inputs = demoAttack(config.cluster, base);
    for (const input of inputs) await host.submit([{ body: input.body, input: `demo/${input.input}` }]);
    const stories = host.stories.live().filter((s) => s.severity !== 'Informational');
    out.write(
      `\nDemo: replayed ${inputs.length} messages of a cross-layer attack with benign traffic (--no-demo to skip).\n`,
    );
    for (const s of stories.slice(0, 3)) out.write(renderStory(s) + '\n');
  }

  await new Promise<void>((done) => {
    const stop = (why: string) => {
      boot.logger.event('info', 'host.stopping', { why });
      void (kafkaInput?.stop() ?? Promise.resolve()).then(() => host.close()).then(done);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    options.signal?.addEventListener('abort', () => stop('abort'));
  });
  out.write('Causeway stopped: everything flushed and state saved.\n');
  return 0;
}

async function startKafkaInput(
  env: Record<string, string | undefined>,
  boot: Awaited<ReturnType<typeof bootstrap>>,
  host: LocalHost,
) {
  const { kafkaClient } = await import('../hosts/kafka/client.ts');
  const { KafkaInput } = await import('../hosts/kafka/input.ts');
  const { config } = boot.loaded;
  const input = new KafkaInput({
    kafka: await kafkaClient({ config, env, logger: boot.logger }),
    config,
    host,
    logger: boot.logger,
  });
  await input.start();
  process.stdout.write(
    `Consuming Kafka topics ${[config.kafka.topics.sensors, config.kafka.topics.defender, config.kafka.topics.telemetry].join(', ')} as group ${config.kafka.groupPrefix}-local\n`,
  );
  return input;
}

/** Why the HTTP server could not listen, as a configuration error naming the setting and the fix. */
function listenProblem(e: unknown, loaded: LoadedConfig): unknown {
  const { host, port } = loaded.config.serve;
  const code = (e as NodeJS.ErrnoException).code;
  const problem =
    code === 'EADDRINUSE'
      ? `port ${port} on ${host} is in use by another process`
      : code === 'EACCES'
        ? `this user may not listen on port ${port} (ports below 1024 need privileges)`
        : code === 'EADDRNOTAVAIL'
          ? `${host} is not an address of this machine`
          : undefined;
  if (!problem) return e;
  return new ConfigError([
    {
      setting: settingName(loaded, code === 'EADDRNOTAVAIL' ? 'serve.host' : 'serve.port'),
      problem,
      fix:
        code === 'EADDRNOTAVAIL'
          ? 'use 127.0.0.1 (the default) or another address of this machine with --host'
          : 'stop the other process, or choose another port with --port or CAUSEWAY_PORT (0 picks a free one)',
    },
  ]);
}
