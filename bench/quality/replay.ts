/**
 * One measurement: a corpus scenario delivered in one arrival order through the pipeline, scored
 * against its labels. The vitest suite, the bench and its worker threads all call this.
 */
import { arrive, type ArrivalOrder } from '../../test/corpus/arrival.ts';
import { family } from '../../test/corpus/catalogue.ts';
import { generateScenario, type Scenario } from '../../test/corpus/scenario.ts';
import { runPipeline } from './runPipeline.ts';
import { scoreRun, type RunScore } from './score.ts';

/** Delivers a scenario in one arrival order through a fresh pipeline and scores the rows. */
export async function replay(scenario: Scenario, order: ArrivalOrder): Promise<RunScore> {
  const deliveries = arrive(scenario.records, order, `${scenario.family}/${scenario.seed}`);
  const rows = await runPipeline(deliveries, { cluster: scenario.cluster, settings: scenario.config });
  return scoreRun(scenario, rows, order);
}

/** One family and seed in every given order: the unit of work of the bench. */
export interface Job {
  family: string;
  seed: number;
  orders: readonly ArrivalOrder[];
}

/** The scores of one job. */
export interface JobResult {
  runs: RunScore[];
  /** Events replayed (labelled events × orders). */
  events: number;
}

/** Generates the job's scenario once and replays it in each of its orders. */
export async function runJob(job: Job): Promise<JobResult> {
  const scenario = generateScenario(family(job.family), job.seed);
  const runs: RunScore[] = [];
  for (const order of job.orders) runs.push(await replay(scenario, order));
  return { runs, events: scenario.labels.size * job.orders.length };
}
