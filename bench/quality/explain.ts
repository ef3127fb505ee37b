/**
 * Why a family scores as it does: one scenario in one arrival order through the pipeline, then each
 * Low+ story with its severity, signals and evidence rows by label, and each attack's facts that
 * no story holds. A developer's tool for correlation work; the bench reports the figures.
 *
 *   npx tsx bench/quality/explain.ts <family> [seed=1] [order=event] [--rows]
 */
import { arrive, type ArrivalOrder } from '../../test/corpus/arrival.ts';
import { family } from '../../test/corpus/catalogue.ts';
import { attackOf, isFact, labelKey, type Label } from '../../test/corpus/labels.ts';
import { generateScenario } from '../../test/corpus/scenario.ts';
import { runPipeline } from './runPipeline.ts';
import { scoreRun } from './score.ts';

type Row = Record<string, unknown>;

const [name, seedText = '1', order = 'event', ...flags] = process.argv.slice(2);
if (!name) {
  process.stderr.write('usage: explain.ts <family> [seed] [order] [--rows]\n');
  process.exit(2);
}
const scenario = generateScenario(family(name), Number(seedText));
const rows = await runPipeline(arrive(scenario.records, order as ArrivalOrder, `${name}/${seedText}`), {
  cluster: scenario.cluster,
  settings: scenario.config,
});
const label = (r: Row): Label | undefined => scenario.labels.get(labelKey(String(r.Source), String(r.SourceRecordId)));
const tag = (l: Label | undefined) => (l === undefined ? '??' : l === 'benign' ? 'benign' : `${l.attack}:${l.role}`);

const latest = new Map<string, Row>();
for (const r of rows.stories)
  if (((latest.get(String(r.StoryId))?.Version as number) ?? -1) < (r.Version as number))
    latest.set(String(r.StoryId), r);
// As the scorer reads them: each live story's own rows less those its latest version retracted (a
// story that absorbs another writes the absorbed evidence again under its own id).
const evidence = new Map<string, Row[]>();
const held = new Set<string>();
for (const e of rows.evidence) {
  const retracted = latest.get(String(e.StoryId))?.RetractedEvidenceIds as string[] | null | undefined;
  if (retracted?.includes(String(e.EvidenceId))) continue;
  const id = String(e.StoryId);
  const list = evidence.get(id) ?? [];
  if (!list.some((x) => x.EventId === e.EventId)) list.push(e);
  evidence.set(id, list);
}
const out = (s: string) => process.stdout.write(s + '\n');
out(`${name} seed ${seedText} order ${order}: ${scenario.labels.size} labelled events`);
for (const [id, s] of latest) {
  if (s.Status === 'merged' || s.Severity === 'Informational') continue;
  const ev = evidence.get(id) ?? [];
  const counts = new Map<string, number>();
  for (const e of ev) counts.set(tag(label(e)), (counts.get(tag(label(e))) ?? 0) + 1);
  for (const e of ev) held.add(labelKey(String(e.Source), String(e.SourceRecordId)));
  const signals = ((s.Signals as { RuleId?: string; ruleId?: string }[] | null) ?? []).map((x) => x.RuleId ?? x.ruleId);
  out(`\n[${s.Severity} ${s.RiskScore}] ${id} ${String(s.StoryTitle ?? s.Title)}`);
  out(`  signals: ${[...new Set(signals)].join(', ')}`);
  out(`  rows: ${[...counts].map(([k, n]) => `${k} ${n}`).join(' · ')}`);
  if (flags.includes('--rows'))
    for (const e of ev.sort((a, b) => String(a.TimeGenerated).localeCompare(String(b.TimeGenerated))))
      out(
        `    ${String(e.TimeGenerated).slice(11, 23)} ${tag(label(e)).padEnd(18)} ${String(e.Kind).padEnd(16)} ${String(
          e.Pod ?? '',
        )
          .slice(0, 28)
          .padEnd(
            28,
          )} ${String(e.TargetProcessName ?? e.ToolName ?? e.AlertName ?? '')} ${String(e.TargetFilePath ?? e.DstIpAddr ?? '')}`,
      );
}
for (const a of scenario.attacks) {
  const missing = [...scenario.labels].filter(([k, l]) => isFact(l) && attackOf(l) === a.id && !held.has(k));
  out(`\nattack ${a.id}: ${missing.length} facts in no Low+ story`);
  for (const [k] of missing.slice(0, 40)) out(`    ${k}${whereIs(k)}`);
}
const score = scoreRun(scenario, rows, order);
out(`\nscore: ${JSON.stringify(score.attacks)} benign ${score.benignStories} merged ${score.mergedStories}`);

/** Where a fact no Low+ story holds went: the stories whose rows name it, or what its record was. */
function whereIs(key: string): string {
  const found = rows.evidence.filter((e) => labelKey(String(e.Source), String(e.SourceRecordId)) === key);
  if (found.length)
    return found
      .map((e) => {
        const s = latest.get(String(e.StoryId));
        const retracted = (s?.RetractedEvidenceIds as string[] | null | undefined)?.includes(String(e.EvidenceId));
        return ` → ${String(e.Kind)} in ${String(s?.Severity)} ${String(e.StoryId).slice(0, 8)}${retracted ? ' (retracted)' : ''}`;
      })
      .join('');
  const record = scenario.records.find((r) => r.keys.includes(key));
  return ` (no row; ${record?.input ?? '?'} record: ${record?.body.slice(0, flags.includes('--full') ? 4000 : 160) ?? '?'})`;
}
