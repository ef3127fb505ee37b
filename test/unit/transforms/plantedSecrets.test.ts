/**
 * Findings 6 and 7 of issue 14 at stage ①: every secret kind the redactor knows, planted into
 * every string field (and into keys) of every record of every source format, appears in nothing
 * stage ① produces: not in events or episodes (whatever column they become), not in health
 * notices, not in dead-letter reasons. The end-to-end version (replay, serve, viewer, report) is
 * test/integration/plantedSecrets.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ingest } from '../../../src/ingest/ingest.ts';
import { fixtureFiles, fixtureRecords } from '../../helpers/fixtures.ts';
import { stringPaths, withValue, type Json } from '../../helpers/hostile.ts';
import { signals, testConfig } from '../../helpers/pipeline.ts';
import { leaks, SECRETS } from '../../helpers/secrets.ts';

const FORMATS = ['tetragon', 'kubescape', 'falco', 'otlp', 'toolhive', 'tracee', 'defender'];
const ALL = SECRETS.map((s) => s.text).join(' ');

function options() {
  const config = testConfig();
  return {
    decode: { cluster: 'c', redaction: { excerpts: true, excerptLength: 4096 } },
    limits: config.limits,
    signals: signals(),
    now: () => Date.parse('2026-11-30T00:00:00Z'),
  };
}

function outputOf(record: Json): string {
  const out = ingest([{ body: JSON.stringify(record), input: 'planted' }], options());
  return JSON.stringify([out.workloadEvents, out.episodes, out.health, out.deadLetters]);
}

/** Every object of a record, by path. */
function objectPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [];
  const own = Array.isArray(value) ? [] : [prefix];
  return [...own, ...Object.entries(value).flatMap(([k, v]) => objectPaths(v, [...prefix, k]))];
}

describe('secrets planted in every field of every format', () => {
  for (const folder of FORMATS) {
    for (const file of fixtureFiles(folder)) {
      it(`leak from no string field of ${file}`, () => {
        const found: string[] = [];
        fixtureRecords(file).forEach((record, r) => {
          for (const path of stringPaths(record)) {
            const value = path.reduce<unknown>((node, k) => (node as Json)[k], record) as string;
            const leaked = leaks(outputOf(withValue(record, path, `${value} ${ALL}`)));
            if (leaked.length) found.push(`record ${r + 1} ${path.join('.')}: ${leaked.join(', ')}`);
          }
        });
        expect(found).toEqual([]);
      });

      it(`leak from no key of ${file}`, () => {
        const found: string[] = [];
        fixtureRecords(file).forEach((record, r) => {
          objectPaths(record).forEach((path, i) => {
            const secret = SECRETS[i % SECRETS.length]!;
            const copy = structuredClone(record);
            const node = path.reduce<Json>((n, k) => n[k] as Json, copy);
            node[secret.text] = 'value';
            const leaked = leaks(outputOf(copy));
            if (leaked.length) found.push(`record ${r + 1} ${path.join('.')}: ${leaked.join(', ')}`);
          });
        });
        expect(found).toEqual([]);
      });
    }
  }

  it('are found by the search when not redacted (the search itself works)', () => {
    expect(leaks(JSON.stringify(SECRETS.map((s) => s.text.toUpperCase())))).toHaveLength(
      SECRETS.flatMap((s) => s.markers).length,
    );
  });
});
