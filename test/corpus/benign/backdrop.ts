/**
 * The benign backdrop every scenario runs over: one or two routine agents (at least one whose
 * normal workflow is a benign → high-risk tool pair), services with exec probes, a CronJob, a
 * rollout with an init-container shell and, most of the time, package installs in a notebook.
 */
import type { Sim } from '../sim.ts';
import { routineAgent, runRoutine, type Persona } from './agents.ts';
import { cronJob, packageInstalls, rolloutWithInit, serviceWithProbes } from './workloads.ts';

/** Adds the benign workloads every scenario has, from the scenario start to its end. */
export function backdrop(sim: Sim): void {
  const r = sim.rng;
  const personas: Persona[] = [r.pick(['research', 'reporting'] as const)];
  if (r.chance(0.4)) personas.push(r.pick(['support', 'travel', 'devops'] as const));
  for (const persona of personas) runRoutine(sim, routineAgent(sim, persona), sim.start, sim.end);
  serviceWithProbes(sim);
  if (r.chance(0.3)) serviceWithProbes(sim, { replicas: r.int(1, 2) });
  cronJob(sim);
  rolloutWithInit(sim);
  if (r.chance(0.7)) packageInstalls(sim);
}
