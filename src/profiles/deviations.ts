/**
 * How an event falls outside a profile, with the evidence a signal cites: the profile's window and
 * size (or its import source) and what it does hold.
 */
import { destinationHost } from './draftMetadata.ts';
import type { Observation } from './observation.ts';
import { collapsePath, egressCovered, pathCovered, selectorKey, type DeviationKind, type Profile } from './profile.ts';

/** One way an event falls outside a profile. */
export interface Deviation {
  kind: DeviationKind;
  value: string;
  /** What the profile holds, in short: the evidence a signal cites. */
  evidence: string;
  /** Whether the profile was learned here or imported (Kubescape). */
  profile: 'learned' | 'imported';
}

/** Every way the observation falls outside the profile (none when the profile covers it). */
export function deviationsOf(p: Profile, o: Observation): Deviation[] {
  const out: Deviation[] = [];
  const profile = p.status === 'imported' ? 'imported' : 'learned';
  const since =
    p.status === 'imported'
      ? `the imported profile (${p.source.join('; ')})`
      : `the profile learned ${iso(p.learningStartedAt)}–${iso(p.learningEndsAt)} from ${p.observations} events`;
  const list = (xs: readonly string[]) =>
    xs.length ? `${xs.slice(0, 6).join(', ')}${xs.length > 6 ? `, … ${xs.length} in all` : ''}` : 'none';
  if (o.executable && !p.executables.some((x) => x === o.executable || pathCovered(x, o.executable!)))
    out.push({
      kind: 'new-executable',
      value: o.executable,
      evidence: `not in ${since}; executables: ${list(p.executables)}`,
      profile,
    });
  if (o.filePath && !p.filePaths.some((x) => pathCovered(x, o.filePath!)))
    out.push({
      kind: 'new-file-path',
      value: collapsePath(o.filePath),
      evidence: `not in ${since}; ${p.filePaths.length} path patterns`,
      profile,
    });
  const dst = o.egress && {
    ip: o.egress.ip,
    port: o.egress.port,
    dns: o.egress.dns[0],
    selector: selectorKey(o.egress),
  };
  if (o.egress && !egressCovered(p, dst!)) {
    out.push({
      kind: 'new-egress',
      value: `${destinationHost(o.egress)}:${o.egress.port ?? '*'}`,
      evidence: `not in ${since}; egress: ${list(p.egress.map((e) => `${destinationHost(e)}:${e.port ?? '*'}`))}`,
      profile,
    });
  }
  if (o.tool && p.status !== 'imported' && !p.tools.includes(o.tool))
    out.push({ kind: 'new-tool', value: o.tool, evidence: `not in ${since}; tools: ${list(p.tools)}`, profile });
  if (o.toolTransition && p.status !== 'imported' && !p.toolTransitions.includes(o.toolTransition))
    out.push({
      kind: 'new-tool-transition',
      value: o.toolTransition,
      evidence: `not in ${since}; transitions: ${list(p.toolTransitions)}`,
      profile,
    });
  return out;
}

function iso(t: number | undefined): string {
  return t === undefined ? '?' : new Date(t).toISOString().slice(11, 19);
}
