/**
 * Builds the Functions runtime once per instance (cold start) from app settings: configuration
 * (validated, errors name the setting), signals, the Log Analytics sink, the Event Hubs producers
 * and the Blob state store, all with the managed identity.
 */
import { EventHubProducerClient } from '@azure/event-hubs';
import { DefaultAzureCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import { loadConfig } from '../../config/config.ts';
import { loadBaselines } from '../../profiles/baselines.ts';
import { ConfigError } from '../../errors.ts';
import { SignalEngine } from '../../signals/engine.ts';
import { createLogAnalyticsSink } from '../../sinks/logAnalytics.ts';
import { createLogger } from '../../telemetry/log.ts';
import { EventHubsGapReader } from './eventHubsGapReader.ts';
import { EventHubsPublisher } from './eventHubsPublisher.ts';
import { StageRunner } from '../../pipeline/stageRunner.ts';
import { BlobStateStore } from './blobStateStore.ts';

let runtime: StageRunner | undefined;

export function functionsRuntime(env: Record<string, string | undefined> = process.env): StageRunner {
  if (runtime) return runtime;
  const { config } = loadConfig({ env });
  const missing = ['CAUSEWAY_EVENTHUBS_NAMESPACE', 'CAUSEWAY_STATE_ACCOUNT'].filter((k) => !env[k]);
  if (missing.length)
    throw new ConfigError(
      missing.map((k) => ({
        setting: k,
        problem: 'is not set',
        fix: 'deploy with infra/main.bicep, which sets it on the Function App',
      })),
    );
  if (config.sink.type !== 'logAnalytics')
    throw new ConfigError([
      {
        setting: 'CAUSEWAY_LOGS_INGESTION_ENDPOINT',
        problem: 'is not set: the Functions host writes to Log Analytics only',
        fix: 'set CAUSEWAY_LOGS_INGESTION_ENDPOINT and CAUSEWAY_DCR_IMMUTABLE_ID (infra/main.bicep does)',
      },
    ]);
  const credential = new DefaultAzureCredential(
    config.sink.logAnalytics.managedIdentityClientId
      ? { managedIdentityClientId: config.sink.logAnalytics.managedIdentityClientId }
      : {},
  );
  const logger = createLogger({ level: config.logLevel, fields: { host: 'functions' } });
  const namespace = env.CAUSEWAY_EVENTHUBS_NAMESPACE!;
  runtime = new StageRunner({
    // Snapshots every functions.snapshotSeconds; a new owner reads the rest back from the hub.
    snapshotEveryMs: config.functions.snapshotSeconds * 1000,
    gaps: new EventHubsGapReader(namespace, config.functions.replayConsumerGroup, credential),
    maxReplayEvents: config.functions.maxReplayEvents,
    flushRowsEachBatch: true,
    baselines: loadBaselines(config),
    config,
    signals: SignalEngine.load(config.signals.packs),
    sink: createLogAnalyticsSink(config, logger, credential),
    publisher: new EventHubsPublisher({
      'workload-events': new EventHubProducerClient(namespace, 'workload-events', credential),
      episodes: new EventHubProducerClient(namespace, 'episodes', credential),
    }),
    state: new BlobStateStore(
      new BlobServiceClient(
        `https://${env.CAUSEWAY_STATE_ACCOUNT}.blob.core.windows.net`,
        credential,
      ).getContainerClient('causeway-state'),
    ),
    logger,
    clock: Date.now,
    host: 'functions',
  });
  return runtime;
}

/** Tests inject a runtime built on local stand-ins. */
export function setFunctionsRuntime(r: StageRunner | undefined): void {
  runtime = r;
}
