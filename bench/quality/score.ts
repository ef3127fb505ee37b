/**
 * Scores what the product wrote against the corpus's ground truth (test/corpus/labels.ts), from
 * the rows alone, as the SOC reads them through the CausewayStories and CausewayEvidence parsers:
 * the latest version of each live story, with the evidence rows written under its own id less
 * those its latest version retracted (a story that absorbs another writes the absorbed evidence
 * again under its own id, so merged-away stories are not followed), evidence rows joined to labels
 * by `Source|SourceRecordId`. Only Medium and High stories count (the ones that become incidents).
 *
 * Per attack:
 * - stories: Medium+ stories holding any of its events (fact or part); target exactly 1;
 * - fact recall: its facts in its story (the Medium+ story holding most of them) / all its facts;
 * - evidence precision: that story's rows labelled with the attack / its rows (rows of the turn
 *   that led into the attack, labelled context, are left out of both).
 * Per run: benign Medium+ stories (holding no attack event) per simulated hour, and merged
 * attacks (Medium+ stories holding events of two attacks).
 */
import { attackOf, isFact, labelKey, type LabelMap } from '../../test/corpus/labels.ts';
import type { PipelineRows } from './runPipeline.ts';

/** The targets of issue 13 (DESIGN §4.1). */
export const TARGETS = { storiesPerAttack: 1, factRecall: 0.98, precision: 0.9, benignPerHour: 0, merged: 0 } as const;

type Row = Record<string, unknown>;

/** How one attack came out of one run. */
export interface AttackScore {
  attack: string;
  /** Medium+ stories holding any event of the attack. */
  stories: number;
  facts: number;
  factRecall: number;
  /** Undefined when no Medium+ story holds the attack. */
  precision: number | undefined;
}

/** The score of one scenario in one arrival order. */
export interface RunScore {
  family: string;
  seed: number;
  order: string;
  attacks: AttackScore[];
  benignStories: number;
  mergedStories: number;
  /** Simulated hours of the scenario. */
  hours: number;
  /** Evidence rows whose event has no label (the corpus or a decoder is out of step). */
  unlabelledRows: number;
}

/** The truth a run is scored against. */
export interface Truth {
  family: string;
  seed: number;
  start: number;
  end: number;
  labels: LabelMap;
  attacks: readonly { id: string }[];
}

interface LiveStory {
  id: string;
  severity: string;
  keys: Set<string>;
}

/** Latest version of each live story, with the label keys of its evidence (less retracted rows). */
export function liveStories(rows: PipelineRows): LiveStory[] {
  const latest = new Map<string, Row>();
  for (const r of rows.stories) {
    const id = String(r.StoryId);
    if (((latest.get(id)?.Version as number) ?? -1) < (r.Version as number)) latest.set(id, r);
  }
  const stories = new Map<string, LiveStory>();
  for (const [id, r] of latest)
    if (r.Status !== 'merged') stories.set(id, { id, severity: String(r.Severity), keys: new Set() });
  // The latest version says which evidence it retracted (a late event moved a link).
  for (const e of rows.evidence) {
    const own = latest.get(String(e.StoryId));
    if ((own?.RetractedEvidenceIds as string[] | null | undefined)?.includes(String(e.EvidenceId))) continue;
    stories.get(String(e.StoryId))?.keys.add(labelKey(String(e.Source), String(e.SourceRecordId)));
  }
  return [...stories.values()];
}

/** Scores the rows of one run against the scenario's labels (see the file comment). */
export function scoreRun(truth: Truth, rows: PipelineRows, order: string): RunScore {
  const incidents = liveStories(rows).filter((s) => s.severity === 'Medium' || s.severity === 'High');
  const factsOf = new Map<string, number>();
  for (const label of truth.labels.values())
    if (isFact(label) && label !== 'benign') factsOf.set(label.attack, (factsOf.get(label.attack) ?? 0) + 1);
  let unlabelledRows = 0;
  let benignStories = 0;
  let mergedStories = 0;
  // Per story: rows per attack, facts per attack, context rows per attack, all rows.
  const perStory = incidents.map((s) => {
    const rowsOf = new Map<string, number>();
    const factRows = new Map<string, number>();
    const contextRows = new Map<string, number>();
    for (const key of s.keys) {
      const label = truth.labels.get(key);
      if (label === undefined) unlabelledRows++;
      const attack = attackOf(label);
      if (attack) rowsOf.set(attack, (rowsOf.get(attack) ?? 0) + 1);
      if (isFact(label) && attack) factRows.set(attack, (factRows.get(attack) ?? 0) + 1);
      if (label && label !== 'benign' && label.role === 'context')
        contextRows.set(label.attack, (contextRows.get(label.attack) ?? 0) + 1);
    }
    if (rowsOf.size === 0) benignStories++;
    if (rowsOf.size > 1) mergedStories++;
    return { size: s.keys.size, rowsOf, factRows, contextRows };
  });
  const attacks = truth.attacks.map(({ id }): AttackScore => {
    const holding = perStory.filter((s) => s.rowsOf.has(id));
    const facts = factsOf.get(id) ?? 0;
    const best = holding.sort(
      (a, b) =>
        (b.factRows.get(id) ?? 0) - (a.factRows.get(id) ?? 0) || (b.rowsOf.get(id) ?? 0) - (a.rowsOf.get(id) ?? 0),
    )[0];
    if (!best) return { attack: id, stories: 0, facts, factRecall: 0, precision: undefined };
    const counted = best.size - (best.contextRows.get(id) ?? 0);
    return {
      attack: id,
      stories: holding.length,
      facts,
      factRecall: facts ? (best.factRows.get(id) ?? 0) / facts : 1,
      precision: counted ? (best.rowsOf.get(id) ?? 0) / counted : 0,
    };
  });
  return {
    family: truth.family,
    seed: truth.seed,
    order,
    attacks,
    benignStories,
    mergedStories,
    hours: (truth.end - truth.start) / 3_600_000,
    unlabelledRows,
  };
}

/** The measures of several runs together (a family in one arrival order, or everything). */
export interface Summary {
  runs: number;
  attacks: number;
  storiesPerAttack: number;
  /** Attacks with exactly one Medium+ story. */
  exactlyOne: number;
  factRecall: number;
  precision: number | undefined;
  benignPerHour: number;
  merged: number;
  unlabelledRows: number;
}

/** Means over attacks, rates over simulated hours, sums of merged stories. */
export function summarise(runs: readonly RunScore[]): Summary {
  const attacks = runs.flatMap((r) => r.attacks);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const precisions = attacks.map((a) => a.precision).filter((p): p is number => p !== undefined);
  const hours = runs.reduce((n, r) => n + r.hours, 0);
  return {
    runs: runs.length,
    attacks: attacks.length,
    storiesPerAttack: mean(attacks.map((a) => a.stories)),
    exactlyOne: attacks.filter((a) => a.stories === 1).length,
    factRecall: mean(attacks.map((a) => a.factRecall)),
    precision: precisions.length ? mean(precisions) : undefined,
    benignPerHour: hours ? runs.reduce((n, r) => n + r.benignStories, 0) / hours : 0,
    merged: runs.reduce((n, r) => n + r.mergedStories, 0),
    unlabelledRows: runs.reduce((n, r) => n + r.unlabelledRows, 0),
  };
}

/** The five measures a summary is judged on. */
export type Target = 'storiesPerAttack' | 'factRecall' | 'precision' | 'benignPerHour' | 'merged';

/** Each measure against its target, with the figure in words. */
export function targetReport(s: Summary): { target: Target; met: boolean; detail: string }[] {
  const precision = s.precision === undefined ? 'n/a (no Medium+ story)' : s.precision.toFixed(2);
  return [
    {
      target: 'storiesPerAttack',
      met: s.attacks > 0 && s.exactlyOne === s.attacks,
      detail: `stories per attack ${s.storiesPerAttack.toFixed(2)} (${s.exactlyOne}/${s.attacks} attacks in exactly one Medium+ story)`,
    },
    {
      target: 'factRecall',
      met: s.factRecall >= TARGETS.factRecall,
      detail: `fact recall ${s.factRecall.toFixed(2)} (target ≥ ${TARGETS.factRecall})`,
    },
    {
      target: 'precision',
      met: s.precision !== undefined && s.precision >= TARGETS.precision,
      detail: `evidence precision ${precision} (target ≥ ${TARGETS.precision})`,
    },
    {
      target: 'benignPerHour',
      met: s.benignPerHour <= TARGETS.benignPerHour,
      detail: `${s.benignPerHour.toFixed(1)} benign Medium+ stories per simulated hour (target ${TARGETS.benignPerHour})`,
    },
    {
      target: 'merged',
      met: s.merged <= TARGETS.merged,
      detail: `${s.merged} stories merge two attacks (target ${TARGETS.merged})`,
    },
  ];
}

/** Each measure against its target. */
export function targetsMet(s: Summary): Record<Target, boolean> {
  return Object.fromEntries(targetReport(s).map((r) => [r.target, r.met])) as Record<Target, boolean>;
}

/** The targets a summary misses, in words (empty when all are met). */
export function missedTargets(s: Summary): string[] {
  return targetReport(s)
    .filter((r) => !r.met)
    .map((r) => r.detail);
}
