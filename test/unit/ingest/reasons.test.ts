/**
 * Finding 6 of issue 14: a dead letter's reason names fields and shapes, never values. Records
 * whose every string carries a secret are rejected for each reason a decoder has (no usable time,
 * a time out of range, a schema mismatch, an unknown shape) and no secret reaches a reason.
 */
import { describe, expect, it } from 'vitest';
import { safeReason } from '../../../src/ingest/deadLetter.ts';
import { ingest } from '../../../src/ingest/ingest.ts';
import { samples, stringPaths, withValue, type Json } from '../../helpers/hostile.ts';
import { signals, testConfig } from '../../helpers/pipeline.ts';
import { leaks, SECRETS } from '../../helpers/secrets.ts';

const ALL = SECRETS.map((s) => s.text).join(' ');

function rejectionsOf(record: Json) {
  const config = testConfig();
  const out = ingest([{ body: JSON.stringify(record), input: 'test' }], {
    decode: { cluster: 'c', redaction: config.redaction },
    limits: config.limits,
    signals: signals(),
    now: () => Date.parse('2026-11-30T00:00:00Z'),
  });
  return out.deadLetters;
}

/** Every string of the record with every secret after it. */
function secretEverywhere(record: Json): Json {
  let copy = record;
  for (const path of stringPaths(record)) {
    const value = path.reduce<unknown>((n, k) => (n as Json)[k], record) as string;
    copy = withValue(copy, path, `${value} ${ALL}`);
  }
  return copy;
}

describe('dead-letter reasons', () => {
  for (const sample of samples()) {
    const time = sample.timePaths[0]!;
    for (const [why, broken] of [
      ['its time is missing', (r: Json) => withValue(r, time, undefined)],
      ['its time is a secret', (r: Json) => withValue(r, time, ALL)],
      ['its time is a secret after a real time', (r: Json) => withValue(r, time, `2026-03-14T10:00:00Z ${ALL}`)],
      ['a field has the wrong type', (r: Json) => withValue(r, time, { [ALL]: [ALL] })],
    ] as const) {
      it(`quote no secret from a ${sample.name} record rejected because ${why}`, () => {
        const letters = rejectionsOf(broken(secretEverywhere(sample.record)));
        expect(letters.length).toBeGreaterThan(0);
        expect(leaks(JSON.stringify(letters))).toEqual([]);
      });
    }
  }

  it('quote no secret from the keys of a record no source recognises', () => {
    const record = Object.fromEntries(SECRETS.map((s, i) => [s.text, i]));
    const letters = rejectionsOf({ hello: 'x', ...record });
    expect(letters[0]!.reasonCode).toBe('unknown-format');
    expect(letters[0]!.reason).toMatch(/hello/);
    expect(leaks(JSON.stringify(letters))).toEqual([]);
  });

  it('are one line and bounded, whatever a decoder put in them', () => {
    const reason = safeReason(`record 1: x\n\u001b[31m${'y'.repeat(5000)} ${SECRETS[8]!.text}`);
    // eslint-disable-next-line no-control-regex
    expect(reason).not.toMatch(/[\n\u001b]/);
    expect(reason.length).toBeLessThanOrEqual(400);
    expect(leaks(safeReason(ALL))).toEqual([]);
  });
});
