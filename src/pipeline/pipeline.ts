/**
 * The local, one-process pipeline (the embedded default): stage ① → bus → stage ② partitions →
 * bus → stage ③ partitions → rows → sink. `runBatch.ts` is the flow; this holds the parts.
 */
import type { Profile } from '../profiles/profile.ts';
import type { CausewayConfig } from '../config/config.ts';
import type { KeyedEpisode, KeyedEvent } from '../model/episode.ts';
import type { SignalEngine } from '../signals/engine.ts';
import type { Sink } from '../sinks/sink.ts';
import { StoryStage } from '../story/storyStage.ts';
import type { Logger } from '../telemetry/log.ts';
import { WorkloadStage } from '../workload/workloadStage.ts';
import { PartitionedBus } from './bus.ts';
import type { IngestOptions } from './ingest.ts';

export interface Pipeline {
  readonly config: CausewayConfig;
  readonly host: string;
  readonly ingestOptions: IngestOptions;
  readonly workloadEvents: PartitionedBus<KeyedEvent>;
  readonly episodes: PartitionedBus<KeyedEpisode>;
  readonly workloadStages: WorkloadStage[];
  readonly storyStages: StoryStage[];
  readonly sink: Sink;
  readonly logger: Logger;
  readonly clock: () => number;
  /** Sees every workload event stage ① produced, before stage ② (`causeway policy check` observes a replay). */
  readonly observe?: (events: readonly KeyedEvent[]) => void;
}

export function createPipeline(options: {
  config: CausewayConfig;
  signals: SignalEngine;
  sink: Sink;
  logger: Logger;
  clock?: () => number;
  host?: string;
  baselines?: readonly Profile[];
  observe?: (events: readonly KeyedEvent[]) => void;
}): Pipeline {
  const { config, signals } = options;
  const c = config.correlation;
  const clock = options.clock ?? Date.now;
  const allowedLatenessMs = c.allowedLatenessMinutes * 60_000;
  return {
    config,
    host: options.host ?? 'local',
    clock,
    sink: options.sink,
    logger: options.logger,
    observe: options.observe,
    ingestOptions: {
      decode: { cluster: config.cluster, redaction: config.redaction },
      limits: config.limits,
      signals,
      now: clock,
    },
    workloadEvents: new PartitionedBus(c.workloadPartitions),
    episodes: new PartitionedBus(c.storyPartitions),
    workloadStages: Array.from(
      { length: c.workloadPartitions },
      () =>
        new WorkloadStage({
          signals,
          allowedLatenessMs,
          learningPeriodMs: config.signals.learningPeriodMinutes * 60_000,
          parkingTimeoutMs: c.parkingTimeoutSeconds * 1000,
          maxParked: c.maxParked,
          maxWorkloads: c.maxWorkloadsPerPartition,
          limits: {
            maxProcesses: c.maxProcessesPerWorkload,
            maxBuffered: c.maxBufferedEventsPerContainer,
            maxEvidence: c.maxEvidencePerEpisode,
            maxEpisodes: 512,
            maxSeen: 2048,
          },
          baselines: options.baselines,
        }),
    ),
    storyStages: Array.from(
      { length: c.storyPartitions },
      (_, i) =>
        new StoryStage({
          signals,
          allowedLatenessMs,
          storyIdleMs: c.storyIdleMinutes * 60_000,
          maxEpisodes: c.maxEpisodesPerPartition,
          maxStories: c.maxStoriesPerPartition,
          partition: i,
          partitions: c.storyPartitions,
        }),
    ),
  };
}
