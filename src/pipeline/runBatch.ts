/**
 * THE flow, top to bottom as in DESIGN §2:
 *   ① ingest (decode → normalise → redact → route)
 *   ② workload stage per partition (lineage, tool attribution, signals → episodes)
 *   ③ story stage per partition (join episodes → stories)
 *   rows → sink
 * Returns one report for the batch: input records, stage outcomes and sink rows.
 */
import type { Story } from '../model/story.ts';
import type { RuntimeEvent } from '../model/event.ts';
import type { ProfileRecord } from '../profiles/learner.ts';
import { deadLetterRow, evidenceRow, profileRow, storyRow, upstreamHealthRow } from '../sinks/rows.ts';
import type { Row, TableName } from '../sinks/tables.ts';
import type { DeadLetter } from './deadLetter.ts';
import { ingest, type IngestInput } from './ingest.ts';
import type { Pipeline } from './pipeline.ts';
import { emptyReport, mergeReports, type BatchReport } from './report.ts';

export interface BatchResult {
  /** Input records by status and reason (stage ①). */
  records: BatchReport;
  /** Stage ② and ③ outcomes (e.g. duplicates dropped). */
  stages: BatchReport;
  /** Rows by status, per the sink. */
  rows: BatchReport;
  stories: Story[];
}

export async function runBatch(p: Pipeline, inputs: readonly IngestInput[]): Promise<BatchResult> {
  // ① ingest
  const ingested = ingest(inputs, p.ingestOptions);
  p.observe?.(ingested.workloadEvents);
  p.workloadEvents.publish(ingested.workloadEvents);
  p.episodes.publish(ingested.episodes);

  // ② workload stage, per partition
  const stages = emptyReport();
  const profiles: ProfileRecord[] = [];
  p.workloadStages.forEach((stage, i) => {
    const out = stage.process(p.workloadEvents.drain(i));
    mergeReports(stages, out.report);
    p.episodes.publish(out.episodes);
    profiles.push(...out.profiles);
  });

  // ③ story stage, per partition
  const stories = runStoryStages(p, stages);

  // rows → sink
  const rows = await deliver(p, stories, ingested.deadLetters, ingested.health, profiles);
  return { records: ingested.report, stages, rows, stories };
}

/** Advances time with no input: releases parked children, closes idle stories. */
export async function tickPipeline(p: Pipeline, now: number): Promise<BatchResult> {
  const stages = emptyReport();
  const profiles: ProfileRecord[] = [];
  for (const stage of p.workloadStages) {
    const out = stage.tick(now);
    p.episodes.publish(out.episodes);
    profiles.push(...out.profiles);
  }
  const stories = runStoryStages(p, stages);
  for (const stage of p.storyStages) stories.push(...stage.tick(now).stories);
  const rows = await deliver(p, stories, [], [], profiles);
  return { records: emptyReport(), stages, rows, stories };
}

/** End of input (replay): parked children go on with their gap recorded. */
export async function flushPipeline(p: Pipeline): Promise<BatchResult> {
  const stages = emptyReport();
  const profiles: ProfileRecord[] = [];
  for (const stage of p.workloadStages) {
    const out = stage.flush();
    p.episodes.publish(out.episodes);
    profiles.push(...out.profiles);
  }
  const stories = runStoryStages(p, stages);
  for (const stage of p.storyStages) stories.push(...stage.flush().stories);
  const rows = await deliver(p, stories, [], [], profiles);
  mergeReports(rows, await p.sink.flush());
  return { records: emptyReport(), stages, rows, stories };
}

function runStoryStages(p: Pipeline, stages: BatchReport): Story[] {
  const stories: Story[] = [];
  p.storyStages.forEach((stage, i) => {
    const out = stage.process(p.episodes.drain(i));
    mergeReports(stages, out.report);
    stories.push(...out.stories);
  });
  return stories;
}

export async function deliver(
  p: Pipeline,
  stories: readonly Story[],
  deadLetters: readonly DeadLetter[],
  health: readonly RuntimeEvent[],
  profiles: readonly ProfileRecord[] = [],
): Promise<BatchReport> {
  const tables: [TableName, Row[]][] = [
    ['CausewayStories_CL', stories.map(storyRow)],
    ['CausewayEvidence_CL', stories.flatMap((s) => s.evidence.map((e) => evidenceRow(s.storyId, e)))],
    ['CausewayProfiles_CL', profiles.map((r) => profileRow(r.profile, r.time, r.deviation, r.pod))],
    [
      'CausewayPipeline_CL',
      [...deadLetters.map((d) => deadLetterRow(d, p.host)), ...health.map((h) => upstreamHealthRow(h, p.host))],
    ],
  ];
  const report = emptyReport();
  for (const [table, rows] of tables) if (rows.length) mergeReports(report, await p.sink.write(table, rows));
  return report;
}
