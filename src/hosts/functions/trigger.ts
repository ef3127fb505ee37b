/**
 * The Functions host's only logic: Event Hubs trigger batches in, StageBatch out, into the one
 * stage runner. Plain functions that tests call directly (the registrations in functions/ are one
 * line each).
 */
import type { HealthReport } from '../../pipeline/health.ts';
import { healthReport, probeSink } from '../../pipeline/health.ts';
import type { StageName, StageResult, StageRunner } from '../../pipeline/stageRunner.ts';
import type { SourceName } from '../../sources/registry.ts';

/**
 * A batch's position: the Event Hubs extension's trigger metadata (keys camel-cased by the Node
 * worker).
 */
export interface TriggerMetadata {
  partitionContext?: {
    partitionId?: string;
    eventHubName?: string;
    consumerGroup?: string;
    fullyQualifiedNamespace?: string;
  };
  sequenceNumberArray?: number[];
  offsetArray?: string[];
  enqueuedTimeUtcArray?: string[];
  partitionKeyArray?: (string | null)[];
}

/** One trigger invocation of any stage: the hub's messages with their sequence numbers. */
export function runTrigger(
  runner: StageRunner,
  stage: StageName,
  messages: readonly unknown[],
  meta: TriggerMetadata,
  hub: string,
  accept?: readonly SourceName[],
): Promise<StageResult> {
  const sequences = meta.sequenceNumberArray;
  return runner.run({
    stage,
    partition: meta.partitionContext?.partitionId ?? '0',
    source: meta.partitionContext?.eventHubName ?? hub,
    accept,
    messages: messages.map((body, i) => ({ body, sequence: sequences?.[i] })),
  });
}

/**
 * The health function: the common report, with the sink proven reachable by a health row, and the
 * feeds of every story partition (read from their snapshots when another instance owns them).
 */
export async function functionsHealth(runner: StageRunner): Promise<HealthReport> {
  const feeds = await runner.owner
    .allFeedStatus(runner.deps.config.correlation.storyPartitions)
    .catch(() => runner.owner.feedStatus());
  return healthReport(runner, { sink: await probeSink(runner, 'functions'), feeds });
}
