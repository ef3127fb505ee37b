/**
 * Routine (DESIGN §4.1 "signals learn"): whether what an event shows is part of its container's
 * baseline, so that rules about sensitive reads, destinations and tool sequences stay quiet on a
 * workload's own routine — the agent reading its own token before calling Entra, an MCP server
 * reading its service-account token on every call, an agent whose normal workflow is a benign →
 * high-risk tool pair. Reads and per-process destinations are routine per executable: the same
 * path read by another program (an attacker's `cat` in that container) is not.
 */
import type { Observation } from './observation.ts';
import { egressCovered, egressKey, pathCovered, type Profile } from './profile.ts';

import type { RoutineKind } from '../model/event.ts';

/** What a rule asks to be routine before it stays quiet (`unlessRoutine` in a rule pack). */
export type { RoutineKind };

/** The answer: in the baseline, not yet known (the profile is still learning), or new. */
export type Routine = 'routine' | 'learning' | 'new';

/** The executable → path and executable → destination pairs an observation teaches. */
export function routinePairs(o: Observation): string[] {
  const pairs: string[] = [];
  if (o.executable && o.filePath) pairs.push(`f:${o.executable}→${o.filePath}`);
  if (o.executable && o.egress?.ip) pairs.push(`e:${o.executable}→${egressKey(o.egress)}`);
  for (const t of o.toolPairs ?? []) pairs.push(`t:${t}`);
  return pairs;
}

/** Whether the observation is in the profile for one kind (evaluated before the event teaches). */
export function isRoutine(profile: Profile, o: Observation, kind: RoutineKind): boolean {
  const imported = profile.status === 'imported';
  const pairs = profile.routine ?? [];
  switch (kind) {
    case 'file':
      if (!o.filePath) return false;
      if (imported) return profile.filePaths.some((p) => pathCovered(p, o.filePath!));
      return !!o.executable && pairs.includes(`f:${o.executable}→${o.filePath}`);
    case 'egress':
      return !!o.egress && egressCovered(profile, { ip: o.egress.ip, port: o.egress.port, dns: o.egress.dns[0] });
    case 'process-egress':
      if (!o.egress?.ip) return false;
      if (imported) return egressCovered(profile, { ip: o.egress.ip, port: o.egress.port, dns: o.egress.dns[0] });
      return !!o.executable && pairs.includes(`e:${o.executable}→${egressKey(o.egress)}`);
    case 'process':
      return !!o.process && profile.processes.includes(o.process);
    case 'tool-transition':
      // The whole sequence so far in the turn is familiar: every earlier tool → this one was seen.
      if (!o.tool) return false;
      if (!o.toolPairs?.length) return profile.tools.includes(o.tool);
      return o.toolPairs.every((t) => pairs.includes(`t:${t}`));
  }
}

export const ROUTINE_KINDS: readonly RoutineKind[] = ['file', 'egress', 'process-egress', 'process', 'tool-transition'];
