import { arrive } from '../../test/corpus/arrival.ts';
import { family } from '../../test/corpus/catalogue.ts';
import { generateScenario } from '../../test/corpus/scenario.ts';
import { loadConfig } from '../../src/config/config.ts';
import { InProcessPipeline } from '../../src/pipeline/inProcess.ts';
import { SignalEngine } from '../../src/signals/engine.ts';
import { silentLogger } from '../../src/telemetry/log.ts';
import { count, emptyReport } from '../../src/common/report.ts';
const [fam, order] = process.argv.slice(2);
const s = generateScenario(family(fam!), 1);
const { config } = loadConfig({ env: { CAUSEWAY_CLUSTER: s.cluster } });
const sink = { name: 'x', write: async (_t: string, r: unknown[]) => { const rep = emptyReport(); count(rep, 'delivered', 'ok', r.length); return rep; }, flush: async () => emptyReport(), close: async () => {} };
const p = new InProcessPipeline({ config, signals: SignalEngine.load(), sink: sink as never, logger: silentLogger, host: 'x', clock: () => 0 });
for (const d of arrive(s.records, order as never, `${fam}/1`)) await p.submit(d.inputs);
await p.flush();
const owned = (p.runner.owner as any).owned.story as Map<string, any>;
for (const [, o] of owned) {
  const links = o.story.links;
  const alerts = links.all().filter((e: any) => e.kind === 'prompt-alert');
  const { ids } = links.component(alerts[0].id);
  for (const id of ids) {
    const ep = links.get(id);
    const nb = links.neighbours(ep).map(([x, l]: any) => `${l.reason}→${x.id.slice(0, 60)}`);
    console.log(ep.kind, ep.id.slice(0, 70), 'sig:', ep.signals.map((x: any) => x.ruleId + '/' + x.severity).join(','));
    for (const n of nb) console.log('     ', n);
  }
}
