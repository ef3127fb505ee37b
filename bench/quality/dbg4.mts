import { arrive } from '../../test/corpus/arrival.ts';
import { family } from '../../test/corpus/catalogue.ts';
import { generateScenario } from '../../test/corpus/scenario.ts';
import { runPipeline } from './runPipeline.ts';
const [fam, seed, order, needle] = process.argv.slice(2);
const sc = generateScenario(family(fam!), Number(seed));
const rows = await runPipeline(arrive(sc.records, order as never, `${fam}/${seed}`), { cluster: sc.cluster });
const ev = new Map(rows.evidence.map((r) => [String(r.EvidenceId), r]));
for (const r of rows.evidence) {
  if (!JSON.stringify(r).includes(needle!)) continue;
  console.log('EVIDENCE', r.StoryId, r.Kind, r.TargetProcessCommandLine, r.EvidenceId);
}
const latest = new Map<string, any>();
for (const s of rows.stories) if ((latest.get(String(s.StoryId))?.Version ?? -1) < (s.Version as number)) latest.set(String(s.StoryId), s);
for (const s of latest.values()) {
  const g = typeof s.Graph === 'string' ? JSON.parse(s.Graph) : s.Graph;
  for (const e of g?.edges ?? []) {
    const to = g.nodes.find((n: any) => n.id === e.to); const from = g.nodes.find((n: any) => n.id === e.from);
    if (String(to?.label).includes(needle!) || String(from?.label).includes(needle!)) console.log('EDGE', s.StoryId, e.reason, from?.label, '->', to?.label, e.detail);
  }
}
