/**
 * One labelled scenario: a family's attack(s) over the benign backdrop, for one seed. The seed
 * decides every name, id, address, timing, replica count and sensor setting, so no rule can key
 * on a fixed example; the same family and seed always give the same records and labels.
 */
import { backdrop } from './benign/backdrop.ts';
import { protocolNoise } from './benign/protocolNoise.ts';
import type { AttackTruth, Family } from './families/attack.ts';
import type { LabelMap } from './labels.ts';
import type { CorpusRecord } from './recorder.ts';
import { Rng } from './rng.ts';
import { Sim } from './sim.ts';

/** A generated scenario: its records, their labels and its attacks. */
export interface Scenario {
  family: string;
  seed: number;
  /** The cluster the scenario's sources name (configure the pipeline with it). */
  cluster: string;
  /** Simulated time span (ms) of the activity. */
  start: number;
  end: number;
  records: CorpusRecord[];
  labels: LabelMap;
  attacks: AttackTruth[];
  /** Settings by path the pipeline is configured with for this scenario (empty: the defaults). */
  config: Record<string, unknown>;
}

/** The scenario of `family` for `seed`: the benign backdrop, then the family's workloads and attacks. */
export function generateScenario(family: Family, seed: number): Scenario {
  const rng = new Rng(`${family.name}/${seed}`);
  const minutes = rng.int(family.minutes[0], family.minutes[1]);
  const start = Date.UTC(
    2026,
    rng.int(0, 11),
    rng.int(1, 28),
    rng.int(0, 23),
    rng.int(0, 59),
    rng.int(0, 59),
    rng.int(0, 999),
  );
  const sim = new Sim(`${family.name}/${seed}`, start, start + minutes * 60_000);
  backdrop(sim);
  const attacks = family.build(sim, (suffix) => `${family.name}/${seed}${suffix ? `/${suffix}` : ''}`);
  // After the family, so its random draws (names, times) stay what they were before these existed.
  protocolNoise(sim);
  return {
    family: family.name,
    seed,
    cluster: sim.cluster.name,
    start,
    end: sim.end,
    records: sim.rec.records,
    labels: sim.rec.labels,
    attacks,
    config: sim.config,
  };
}

/** Share of a scenario's events that are benign (the corpus keeps it at 85% or more). */
export function benignShare(s: Scenario): number {
  let benign = 0;
  for (const label of s.labels.values()) if (label === 'benign') benign++;
  return benign / s.labels.size;
}
