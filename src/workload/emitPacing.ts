/**
 * Story versions under a repeat storm. A tool's shell that reads a token 100,000 times makes one
 * episode of 100,000 events; re-emitting it after every batch would make each batch's story work
 * proportional to everything the episode already holds, and the attack quadratic in its length.
 * So a large episode whose pending version only adds repeats (more events, links and signals of
 * kinds, reasons and rules it already shows; no new trace, tool, session, address or rule) waits
 * until it has grown by a quarter since its last version, until time moves on (tick) or the input
 * ends (flush). Anything new in meaning goes out at once; the counts lag by at most a quarter.
 */
import type { EpisodeState } from './state.ts';

/** Events, links and signals from which an episode's repeats are paced. */
export const LARGE_EPISODE = 1_000;
/** A paced episode is emitted again once it holds this many times what its last version held. */
const GROWTH = 1.25;

/** Evidence, links and signals: what repeats add to. */
function sizeOf(ep: EpisodeState): number {
  return ep.evidence.size + ep.edges.size + ep.signals.size;
}

/** What an episode shows, by kind: event kinds (`k`), link reasons (`r`) and signal rules (`s`). */
type FacetKind = 'k' | 'r' | 's';

/** Notes a facet of a large episode (a small one has no facet set: it is built when first needed). */
export function addFacet(ep: EpisodeState, kind: FacetKind, value: string): void {
  ep.facets?.add(`${kind}:${value}`);
}

function facetsOf(ep: EpisodeState): Set<string> {
  if (ep.facets) return ep.facets;
  const facets = new Set<string>();
  for (const e of ep.evidence.values()) facets.add(`k:${e.kind}`);
  for (const e of ep.edges.values()) facets.add(`r:${e.reason}`);
  for (const s of ep.signals.values()) facets.add(`s:${s.ruleId}`);
  return (ep.facets = facets);
}

/** True when this pending version of a large episode only adds repeats and may wait (see above). */
export function onlyRepeats(ep: EpisodeState, version: number): boolean {
  const last = ep.emitted;
  const size = sizeOf(ep);
  if (!last || size < LARGE_EPISODE || size >= last.size * GROWTH) return false;
  return version - size === last.identities && facetsOf(ep).size === last.facets;
}

/** Records what the version going out holds, for the next pacing decision. */
export function markEmitted(ep: EpisodeState, version: number): void {
  ep.emittedVersion = version;
  const size = sizeOf(ep);
  // Only an episode that may be large at its next version needs what this one held.
  ep.emitted =
    size * GROWTH >= LARGE_EPISODE ? { size, identities: version - size, facets: facetsOf(ep).size } : undefined;
}
