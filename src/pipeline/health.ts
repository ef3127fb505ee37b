/**
 * One health report shape, served by every host (`GET /healthz` locally and for `causeway run`,
 * the `health` function in Azure): status, sink, partitions owned with their state sizes and
 * offsets, record totals by status and reason, the last error. A host adds its transport's own
 * counters under `transport`.
 */
import type { BatchReport } from '../common/report.ts';
import type { FeedStatus } from '../model/feedBeat.ts';
import { ensureError } from '../errors.ts';
import { healthRow } from '../sinks/rows.ts';
import type { PartitionStats } from './partitionOwner.ts';
import type { StageRunner } from './stageRunner.ts';

export interface HealthReport {
  status: 'ok' | 'degraded' | 'draining';
  host: string;
  cluster: string;
  sink: { type: string; reachable?: boolean; error?: string; endpoint?: string; dcr?: string };
  partitions: { workload: PartitionStats[]; story: PartitionStats[] };
  /** Every feed of every scope the story partitions track: learning, ok, silent or not expected. */
  feeds: { silent: number; list: FeedStatus[] };
  totals: BatchReport;
  lastError?: string;
  transport?: Record<string, unknown>;
}

export function healthReport(
  runner: StageRunner,
  options: {
    draining?: boolean;
    transport?: Record<string, unknown>;
    sink?: Partial<HealthReport['sink']>;
    /** Feed status when the caller gathered more than this process holds (the Functions probe). */
    feeds?: FeedStatus[];
  } = {},
): HealthReport {
  const { config, sink, host } = runner.deps;
  const reachable = options.sink?.reachable;
  const feeds = options.feeds ?? runner.owner.feedStatus();
  return {
    status: options.draining ? 'draining' : runner.lastError || reachable === false ? 'degraded' : 'ok',
    host,
    cluster: config.cluster,
    sink: {
      type: sink.name,
      ...(sink.name === 'logAnalytics'
        ? { endpoint: config.sink.logAnalytics.endpoint, dcr: config.sink.logAnalytics.dcrImmutableId }
        : {}),
      ...options.sink,
    },
    partitions: { workload: runner.owner.stats('workload'), story: runner.owner.stats('story') },
    feeds: { silent: feeds.filter((f) => f.status === 'silent').length, list: feeds },
    totals: runner.totals,
    lastError: runner.lastError,
    transport: options.transport,
  };
}

/** Writes a health row now: proves the sink is reachable (the Functions health probe). */
export async function probeSink(runner: StageRunner, stage: string): Promise<{ reachable: boolean; error?: string }> {
  const { sink, clock, host } = runner.deps;
  try {
    const row = healthRow(
      clock(),
      host,
      stage,
      { ...runner.totals.counts },
      {
        workloadPartitions: runner.owner.partitions('workload'),
        storyPartitions: runner.owner.partitions('story'),
      },
    );
    await sink.write('CausewayPipeline_CL', [row]);
    await sink.flush();
    return { reachable: true };
  } catch (e) {
    return { reachable: false, error: ensureError(e).message };
  }
}
