/**
 * The one stage factory: stage ② and ③ instances for a partition, from the configuration. Every
 * host gets the same stages with the same settings.
 */
import type { CausewayConfig } from '../config/config.ts';
import type { Profile } from '../profiles/profile.ts';
import type { SignalEngine } from '../signals/engine.ts';
import type { Logger } from '../telemetry/log.ts';
import { StoryStage } from '../story/storyStage.ts';
import { WorkloadStage } from '../workload/workloadStage.ts';

export interface StageSettings {
  config: CausewayConfig;
  signals: SignalEngine;
  /** Imported baselines (Kubescape profiles named by profiles.import). */
  baselines?: readonly Profile[];
  /** Where a stage reports a fault on one event or story (logged with its stack). */
  logger?: Logger;
}

/** A fault on one event or story: logged with its stack; the stage counts it and goes on. */
function faultLogger(logger: Logger | undefined, stage: string): (error: unknown, id: string) => void {
  return (error, id) =>
    logger?.event('error', 'stage.item-failed', {
      stage,
      id,
      error: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
}

export function createWorkloadStage({ config, signals, baselines, logger }: StageSettings): WorkloadStage {
  const c = config.correlation;
  return new WorkloadStage({
    signals,
    allowedLatenessMs: c.allowedLatenessMinutes * 60_000,
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
    baselines,
    onFault: faultLogger(logger, 'workload'),
  });
}

export function createStoryStage({ config, signals, logger }: StageSettings, partition: number): StoryStage {
  const c = config.correlation;
  return new StoryStage({
    signals,
    allowedLatenessMs: c.allowedLatenessMinutes * 60_000,
    storyIdleMs: c.storyIdleMinutes * 60_000,
    maxEpisodes: c.maxEpisodesPerPartition,
    maxStories: c.maxStoriesPerPartition,
    partition,
    partitions: c.storyPartitions,
    credentials: {
      windowMs: c.allowedLatenessMinutes * 60_000,
      serviceAccounts: config.cloud.serviceAccounts,
      workloadIdentities: config.cloud.workloadIdentities,
      egressAddresses: config.cloud.egressAddresses,
    },
    onFault: faultLogger(logger, 'story'),
  });
}
