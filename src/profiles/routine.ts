/**
 * Routine (DESIGN §4.1 "signals learn"): whether what an event shows is part of its container's
 * baseline, so that rules about sensitive reads, destinations and tool sequences stay quiet on a
 * workload's own routine — the agent reading its own token before calling Entra, an MCP server
 * reading its service-account token on every call, an agent whose normal workflow is a benign →
 * high-risk tool pair. Reads and per-process destinations are routine per executable: the same
 * path read by another program (an attacker's `cat` in that container) is not.
 *
 * A value is routine when an event *earlier in event time* taught it while the profile learned
 * (the profile keeps each routine key's earliest time), so the answer does not depend on the order
 * events arrive in. An imported profile answers from its lists.
 */
import type { RoutineKind } from '../model/event.ts';
import type { Observation } from './observation.ts';
import { egressCovered, egressKey, pathCovered, type Profile } from './profile.ts';

/** What a rule asks to be routine before it stays quiet (`unlessRoutine` in a rule pack). */
export type { RoutineKind };

/** The answer: in the baseline, not yet known (the profile is still learning), or new. */
export type Routine = 'routine' | 'learning' | 'new';

export const ROUTINE_KINDS: readonly RoutineKind[] = ['file', 'egress', 'process-egress', 'process', 'tool-transition'];

/** Per kind, the keys an observation has; for `egress` any one taught is enough, for the others all. */
export function routineKeys(o: Observation): Partial<Record<RoutineKind, string[]>> {
  const keys: Partial<Record<RoutineKind, string[]>> = {};
  if (o.executable && o.filePath) keys.file = [`f:${o.executable}→${o.filePath}`];
  if (o.egress) {
    const dst = o.egress.ip ? [`d:${egressKey(o.egress)}`] : [];
    const names = o.egress.dns.map((n) => `n:${n}:${o.egress!.port ?? '*'}`);
    if (dst.length + names.length) keys.egress = [...dst, ...names];
    if (o.executable && o.egress.ip) keys['process-egress'] = [`e:${o.executable}→${egressKey(o.egress)}`];
  }
  if (o.process) keys.process = [`p:${o.process}`];
  if (o.tool) keys['tool-transition'] = o.toolPairs?.length ? o.toolPairs.map((t) => `t:${t}`) : [`u:${o.tool}`];
  return keys;
}

/** Every routine key of an observation (what teaching it adds). */
export function allRoutineKeys(o: Observation): string[] {
  const out: string[] = [];
  for (const keys of Object.values(routineKeys(o))) for (const k of keys) out.push(k);
  return out;
}

/**
 * Whether the observation is routine for one kind: taught by an event before `time` (the
 * profile's routine keys keep their earliest teaching time); an imported profile answers from its
 * lists.
 */
export function isRoutine(
  profile: Profile,
  o: Observation,
  kind: RoutineKind,
  time: number,
  /** `routineKeys(o)`, when the caller asks about every kind of one observation. */
  byKind: Partial<Record<RoutineKind, string[]>> = routineKeys(o),
): boolean {
  if (profile.status === 'imported') return importedRoutine(profile, o, kind);
  const keys = byKind[kind];
  if (!keys?.length) return false;
  const taught = profile.routine ?? {};
  const before = (k: string) => (taught[k] ?? Infinity) < time;
  return kind === 'egress' ? keys.some(before) : keys.every(before);
}

function importedRoutine(profile: Profile, o: Observation, kind: RoutineKind): boolean {
  switch (kind) {
    case 'file':
      return !!o.filePath && profile.filePaths.some((p) => pathCovered(p, o.filePath!));
    case 'egress':
    case 'process-egress':
      return !!o.egress && egressCovered(profile, { ip: o.egress.ip, port: o.egress.port, dns: o.egress.dns[0] });
    case 'process':
      return !!o.process && profile.processes.includes(o.process);
    case 'tool-transition':
      return false;
  }
}
