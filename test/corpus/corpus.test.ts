/**
 * The labelled corpus is a measuring instrument: these tests check the instrument, not the
 * product. Every generated record must decode (stage ① only) without a rejection, every event it
 * decodes into must carry a label, every label must belong to an event, and the corpus must keep
 * its promises (benign share, facts per attack, variation between seeds, determinism).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { ingest } from '../../src/ingest/ingest.ts';
import { SignalEngine } from '../../src/signals/engine.ts';
import { ARRIVAL_ORDERS, arrivalTimes, arrive } from './arrival.ts';
import { FAMILIES } from './catalogue.ts';
import { isFact, labelKey } from './labels.ts';
import { benignShare, generateScenario } from './scenario.ts';

const signals = SignalEngine.load();

function decodeAll(scenario: ReturnType<typeof generateScenario>) {
  const { config } = loadConfig({ env: { CAUSEWAY_CLUSTER: scenario.cluster } });
  const out = ingest(
    scenario.records.map((r) => ({ body: r.body, input: r.input })),
    {
      decode: { cluster: scenario.cluster, redaction: config.redaction },
      limits: config.limits,
      signals,
      now: () => 0,
    },
  );
  const events = [...out.workloadEvents.map((k) => k.event), ...out.episodes.flatMap((k) => k.episode.evidence)];
  return { out, events };
}

describe('labelled corpus', () => {
  const formats = new Set<string>();
  const transports = new Set<string>();

  it.each(FAMILIES.map((f) => [f.name, f] as const))(
    '%s: every record decodes and every event is labelled',
    (_, family) => {
      for (const seed of [1, 2, 3]) {
        const scenario = generateScenario(family, seed);
        const { out, events } = decodeAll(scenario);
        expect(out.deadLetters.map((d) => `${d.reasonCode}: ${d.reason}`)).toEqual([]);
        const keys = new Set(events.map((e) => labelKey(e.source.product, e.source.nativeId)));
        const unlabelled = [...keys].filter((k) => !scenario.labels.has(k));
        expect(unlabelled, `seed ${seed}`).toEqual([]);
        const orphans = [...scenario.labels.keys()].filter((k) => !keys.has(k));
        expect(orphans, `seed ${seed}`).toEqual([]);
        for (const e of events) formats.add(e.source.format);
        for (const r of scenario.records)
          for (const m of r.body.matchAll(/"network\.transport","value":\{"stringValue":"(\w+)"/g))
            transports.add(m[1]!);
      }
    },
  );

  it('writes every wire format the sources read, and both MCP transports', () => {
    expect([...formats].sort()).toEqual([
      'aks.kube-audit',
      'defender.arm',
      'defender.continuous-export',
      'defender.securityalert-row',
      'entra.ServicePrincipalSignInLogs',
      'falco.json',
      'falcosidekick',
      'keyvault.AuditEvent',
      'kubescape.runtimealerts',
      'kubescape.stdout',
      'otlp',
      'tetragon.json',
    ]);
    expect([...transports].sort()).toEqual(['pipe', 'tcp']);
  });

  it.each(FAMILIES.map((f) => [f.name, f] as const))(
    '%s: at least 85% benign events, facts for every attack',
    (_, family) => {
      for (const seed of [1, 2, 3]) {
        const scenario = generateScenario(family, seed);
        expect(benignShare(scenario)).toBeGreaterThanOrEqual(0.85);
        for (const attack of scenario.attacks) {
          const facts = [...scenario.labels.values()].filter(
            (l) => isFact(l) && l !== 'benign' && l.attack === attack.id,
          );
          expect(facts.length, attack.id).toBeGreaterThanOrEqual(3);
        }
      }
    },
  );

  it('gives the same bytes for the same seed and different names for different seeds', () => {
    const family = FAMILIES[0]!;
    const a = generateScenario(family, 7);
    const b = generateScenario(family, 7);
    expect(a.records.map((r) => r.body)).toEqual(b.records.map((r) => r.body));
    const clusters = new Set([1, 2, 3, 4, 5, 6].map((seed) => generateScenario(family, seed).cluster));
    expect(clusters.size).toBeGreaterThan(3);
  });

  it('delivers every record exactly once in every arrival order', () => {
    const scenario = generateScenario(FAMILIES[3]!, 2);
    const lines = (bodies: string[]) => bodies.flatMap((b) => b.split('\n').filter(Boolean)).sort();
    const expected = lines(scenario.records.map((r) => r.body));
    for (const order of ARRIVAL_ORDERS) {
      const deliveries = arrive(scenario.records, order, 'test');
      expect(lines(deliveries.flatMap((d) => d.inputs.map((i) => i.body)))).toEqual(expected);
      expect(deliveries.map((d) => d.at)).toEqual([...deliveries.map((d) => d.at)].sort((x, y) => x - y));
    }
  });

  it('alerts-first delivers every alert before the records of the minute before it', () => {
    const scenario = generateScenario(FAMILIES[3]!, 3);
    const times = arrivalTimes(scenario.records, 'alerts-first', 'test');
    const late: string[] = [];
    scenario.records.forEach((a, i) => {
      if (!a.alert) return;
      scenario.records.forEach((p, j) => {
        if (!p.alert && p.time >= a.time - 60_000 && times[j]! <= times[i]!)
          late.push(`${a.input} ${i} after ${p.input} ${j}`);
      });
    });
    expect(late).toEqual([]);
  });
});
