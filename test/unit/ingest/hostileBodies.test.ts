/**
 * Findings 2, 3 and 4 of issue 14, at stage ①: a record nested thousands of levels deep, a torn or
 * stray line, two records glued on one line, and a body of millions of tiny records each cost
 * only themselves: their neighbours are delivered, every record is counted once, and the dead
 * letters are one per reason per body, whatever the number of records.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../../src/ingest/ingest.ts';
import { total } from '../../../src/common/report.ts';
import { deepArrayText, deepObjectText, lineBomb, samples } from '../../helpers/hostile.ts';
import { signals, testConfig } from '../../helpers/pipeline.ts';

function options(overrides: Record<string, string> = {}) {
  const config = testConfig(overrides);
  return {
    decode: { cluster: 'c', redaction: config.redaction },
    limits: config.limits,
    signals: signals(),
    now: () => Date.parse('2026-11-30T00:00:00Z'),
  };
}

const falco = JSON.stringify(samples().find((s) => s.name === 'falco')!.record);
const tracee = JSON.stringify(samples().find((s) => s.name === 'tracee')!.record);
const run = (body: string | Buffer, overrides?: Record<string, string>) =>
  ingest([{ body, input: 'test' }], options(overrides));

describe('a record nested thousands of levels deep', () => {
  for (const depth of [5_000, 20_000]) {
    for (const [what, deep] of [
      ['array', deepArrayText(depth)],
      ['object', deepObjectText(depth)],
    ] as const) {
      const element = `{"rule":"x","priority":"Warning","output":"o","nested":${deep}}`;
      it(`is rejected as too-deep (${depth}-level ${what}) inside a JSON array, its neighbours delivered`, () => {
        const out = run(`[${falco},${element},${tracee}]`);
        expect(out.report.reasons.rejected['too-deep']).toBe(1);
        expect(out.report.counts.delivered).toBe(2);
      });
      it(`is rejected as too-deep (${depth}-level ${what}) inside {"records":[…]}, its neighbours delivered`, () => {
        const out = run(`{"records":[${falco},${element},${tracee}]}`);
        expect(out.report.reasons.rejected['too-deep']).toBe(1);
        expect(out.report.counts.delivered).toBe(2);
      });
      it(`is rejected as too-deep (${depth}-level ${what}) on one JSON Lines line, its neighbours delivered`, () => {
        for (const line of [element, `[${element}]`, deep]) {
          const out = run(`${falco}\n${line}\n${tracee}\n`);
          expect(out.report.reasons.rejected['too-deep'], line.slice(0, 20)).toBe(1);
          expect(out.report.counts.delivered).toBe(2);
        }
      });
    }
  }
});

describe('JSON Lines with torn or stray lines', () => {
  for (const [what, first] of [
    ['the tail of a rotated record', falco.slice(40)],
    ['a lone [', '['],
    ['garbage', '\u0000\u0001 not json at all'],
    ['a log line', '2026-11-30T01:02:03Z INFO starting'],
  ] as const) {
    it(`rejects a first line that is ${what} on its own and delivers every valid line after it`, () => {
      const out = run([first, falco, tracee, falco.replace('"uuid"', '"x"')].join('\n'));
      expect(out.report.reasons.rejected['malformed-json']).toBe(1);
      expect(out.report.counts.delivered).toBe(3);
      expect(out.deadLetters).toHaveLength(1);
      expect(out.deadLetters[0]!.positions).toEqual([1]);
    });
  }

  it('counts each bad line once, in one dead letter for the body', () => {
    const out = run(['x', falco, 'y}', '[', tracee, '{"a":'].join('\n'));
    expect(out.report.reasons.rejected['malformed-json']).toBe(4);
    expect(out.report.counts.delivered).toBe(2);
    expect(out.deadLetters).toHaveLength(1);
    expect(out.deadLetters[0]).toMatchObject({ count: 4, positions: [1, 3, 4, 6] });
    expect(out.deadLetters[0]!.sampleSha256).toHaveLength(3);
  });

  for (const glue of ['', ' ', ',', ' , ']) {
    it(`reads both records of a line holding two, glued with ${JSON.stringify(glue)}`, () => {
      const out = run(`${falco}${glue}${tracee}\n${falco}`);
      expect(out.report.counts.delivered).toBe(3);
      expect(total(out.report)).toBe(3);
    });
  }

  it('rejects only the torn half of a line holding a record and the start of another', () => {
    const out = run(`${tracee}${falco.slice(0, 30)}\n${falco}`);
    expect(out.report.counts.delivered).toBe(2);
    expect(out.report.reasons.rejected['malformed-json']).toBe(1);
  });

  it('still rejects a body with no JSON line at all once, with a hint', () => {
    const out = run('apiVersion: v1\nkind: NetworkNeighborhood\nspec: {}\n');
    expect(out.report.counts.rejected).toBe(1);
    expect(out.deadLetters[0]!.reason).toMatch(/looks like YAML/);
  });
});

describe('bodies of many tiny records', () => {
  it('writes one dead letter, not one per record, for 3 MB of {} lines', () => {
    const lines = 1_000_000;
    const out = run('{}\n'.repeat(lines));
    expect(out.report.counts.rejected).toBe(lines);
    expect(out.deadLetters.length).toBeLessThanOrEqual(2);
    expect(out.deadLetters.reduce((n, d) => n + (d.count ?? 1), 0)).toBe(lines);
  });

  it('reads at most limits.maxRecordsPerBody records of a gzip line bomb and counts the rest', () => {
    const lines = 10_500_000;
    const bomb = lineBomb(lines);
    expect(bomb.length).toBeLessThan(64 * 1024);
    const out = run(bomb);
    expect(out.report.reasons.rejected['unknown-format']).toBe(100_000);
    expect(out.report.reasons.rejected['too-many-records']).toBe(lines - 100_000);
    expect(out.deadLetters.map((d) => d.reasonCode).sort()).toEqual(['too-many-records', 'unknown-format']);
    expect(out.deadLetters.find((d) => d.reasonCode === 'too-many-records')!.reason).toMatch(
      /limits\.maxRecordsPerBody/,
    );
  });

  it('applies the record limit to JSON arrays and OTLP exports too', () => {
    const limit = { CAUSEWAY_MAX_RECORDS_PER_BODY: '10' };
    const array = run(`[${Array(25).fill(falco).join(',')}]`, limit);
    expect(array.report.counts.delivered).toBe(10);
    expect(array.report.reasons.rejected['too-many-records']).toBe(15);
    const otlp = samples().find((s) => s.name === 'otlp span')!.record as {
      resourceSpans: { scopeSpans: { spans: unknown[] }[] }[];
    };
    const spans = otlp.resourceSpans[0]!.scopeSpans[0]!.spans;
    otlp.resourceSpans[0]!.scopeSpans[0]!.spans = Array(25).fill(spans[0]);
    const out = run(gzipSync(JSON.stringify(otlp)), limit);
    expect(total(out.report)).toBe(25);
    expect(out.report.reasons.rejected['too-many-records']).toBe(15);
  });
});
