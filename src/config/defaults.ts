/** Built-in defaults. Every one of them is reported at start-up (`config.defaults` log event). */
import type { CausewayConfig } from './config.ts';

export const DEFAULTS: CausewayConfig = {
  cluster: 'local',
  dataDir: '.data',
  logLevel: 'info',
  demo: true,
  serve: { host: '127.0.0.1', port: 8787, maxBodyBytes: 16 * 1024 * 1024 },
  limits: {
    maxRecordBytes: 1024 * 1024,
    maxDepth: 64,
    maxMessageBytes: 64 * 1024 * 1024,
    // A Collector batch is 8,192 spans and a 16 MiB body of sensor lines about 30,000 records.
    maxRecordsPerBody: 100_000,
    maxRecordsPerSecond: 100_000,
    maxMemoryMB: 1024,
    earliestEventTime: '2000-01-01T00:00:00Z',
    // Sensor clocks drift; a day ahead is skew, more is a broken clock or a forged record.
    maxFutureMinutes: 1440,
  },
  redaction: { excerpts: false, excerptLength: 64 },
  correlation: {
    // Defender alerts arrive 10-30 minutes after the activity (reference/defender-formats.md).
    allowedLatenessMinutes: 45,
    storyIdleMinutes: 30,
    workloadPartitions: 4,
    storyPartitions: 1,
    maxWorkloadsPerPartition: 5000,
    maxProcessesPerWorkload: 4096,
    maxBufferedEventsPerContainer: 256,
    maxEvidencePerEpisode: 200,
    maxEpisodesPerPartition: 50000,
    maxStoriesPerPartition: 5000,
    parkingTimeoutSeconds: 30,
    maxParked: 10000,
  },
  pipeline: { ingestWorkers: 'auto' },
  signals: { packs: [], learningPeriodMinutes: 10 },
  profiles: { import: [], classes: {} },
  cloud: { clusterNames: {}, serviceAccounts: {}, workloadIdentities: {}, egressAddresses: [] },
  feeds: { expected: {}, learnMinutes: 60, minIntervalMinutes: 15, intervalMinutes: {} },
  sink: {
    type: 'local',
    logAnalytics: { flushIntervalMs: 1000, maxBatchBytes: 1_000_000, maxAttempts: 6 },
  },
  functions: { snapshotSeconds: 30, replayConsumerGroup: 'causeway-replay', maxReplayEvents: 200_000 },
  kafka: {
    clientId: 'causeway',
    groupPrefix: 'causeway',
    tls: false,
    topics: {
      sensors: 'runtime-sensors',
      defender: 'defender-alerts',
      telemetry: 'agent-telemetry',
      cloudAudit: 'cloud-audit',
      workloadEvents: 'workload-events',
      episodes: 'episodes',
    },
    createTopics: true,
    tickSeconds: 60,
    sessionTimeoutSeconds: 30,
    snapshotSeconds: 5,
  },
};
