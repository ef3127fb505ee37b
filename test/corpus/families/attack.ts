/**
 * What the attack families share: the attack's labels, when an attack may start (after the
 * learning period, so routine has been seen), attack processes whose exec, sensitive reads and
 * connections are facts and whose exits and routine reads are parts, and the credential paths,
 * payload names and shell lines attackers use (varied per seed).
 */
import type { Label } from '../labels.ts';
import { LEARNING_MS, type Sim } from '../sim.ts';
import type { Proc } from '../world.ts';

/** Ground truth of one attack in a scenario. */
export interface AttackTruth {
  id: string;
  family: string;
  /** One line an analyst would write about it. */
  summary: string;
}

/** The labels of one attack's events, by role. */
export interface AttackLabels {
  id: string;
  fact: Label;
  part: Label;
  context: Label;
}

/** Fact, part and context labels of the attack `id`. */
export function attackLabels(id: string): AttackLabels {
  return {
    id,
    fact: { attack: id, role: 'fact' },
    part: { attack: id, role: 'part' },
    context: { attack: id, role: 'context' },
  };
}

/** A start time after the learning period (with margin) that leaves `tailMs` before the end. */
export function attackStart(sim: Sim, tailMs: number): number {
  const earliest = sim.start + LEARNING_MS + 4 * 60_000;
  return sim.rng.int(earliest, Math.max(earliest, sim.end - tailMs));
}

/** One thing an attack process does, `at` ms after it starts; `part` for routine side effects. */
export type AttackStep =
  | { at: number; read: string; part?: boolean }
  | { at: number; write: string; part?: boolean }
  | { at: number; connect: [string, number]; part?: boolean };

/**
 * An attack process: exec (fact), its steps (facts unless marked part), exit (part) after
 * `lifetime` ms, or never when it outlives the scenario. Returns the exit time.
 */
export function attackProcess(sim: Sim, L: AttackLabels, p: Proc, steps: AttackStep[] = [], lifetime?: number): number {
  sim.exec(p, L.fact);
  let last = p.start;
  for (const s of steps) {
    const at = p.start + s.at;
    last = Math.max(last, at);
    const label = s.part ? L.part : L.fact;
    if ('read' in s) sim.read(p, at, s.read, label);
    else if ('write' in s) sim.write(p, at, s.write, label);
    else sim.connect(p, at, s.connect[0], s.connect[1], label);
  }
  const exitAt =
    lifetime === Infinity ? Infinity : Math.max(last + sim.rng.int(2, 40), p.start + (lifetime ?? sim.rng.int(5, 300)));
  if (exitAt !== Infinity && exitAt < sim.end + 30 * 60_000) sim.exit(p, exitAt, L.part);
  return exitAt;
}

/** Credentials an injected agent or a foothold goes after. */
export const CREDENTIALS = [
  '/var/run/secrets/azure/tokens/azure-identity-token',
  '/var/run/secrets/kubernetes.io/serviceaccount/token',
  '/app/.env',
  '/home/app/.azure/msal_token_cache.json',
  '/root/.aws/credentials',
  '/home/app/.ssh/id_ed25519',
];

/** Names attackers give dropped binaries (hidden, or posing as kernel threads). */
export function payloadPath(sim: Sim): string {
  const r = sim.rng;
  return `${r.pick(['/tmp', '/tmp', '/dev/shm', '/var/tmp'])}/${r.pick(['.x', '.u', 'kworkerd', '.cache-sync', 'kdevtmpfsi', 'dbus-helper', `.${r.hex(5)}`])}`;
}

/** A command-and-control port. */
export function c2Port(sim: Sim): number {
  return sim.rng.pick([443, 4444, 8443, 8080, 1337, 9001, 53]);
}

/** One attack family: what it simulates and how to add it (and its own workloads) to a scenario. */
export interface Family {
  name: string;
  summary: string;
  /** Simulated length of its scenarios, in minutes [min, max]. */
  minutes: [number, number];
  /** Adds the family's workloads and attack(s); `id` names an attack of this scenario. */
  build(sim: Sim, id: (suffix?: string) => string): AttackTruth[];
}
