/**
 * fast-check: arbitrary bytes and arbitrary JSON never throw, and every record ends with exactly
 * one status. Also mutated fixture records of each format (fields deleted or replaced), which probe
 * each decoder.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../../src/ingest/ingest.ts';
import { total } from '../../../src/common/report.ts';
import { fixtureRecords } from '../../helpers/fixtures.ts';
import { signals } from '../../helpers/pipeline.ts';

const options = () => ({
  decode: { cluster: 'c', redaction: { excerpts: true, excerptLength: 16 } },
  limits: { maxRecordBytes: 64 * 1024, maxDepth: 32 },
  signals: signals(),
  now: () => 0,
});

/** Records whose decoding fans out (one input record → several statuses) are excluded from the exact count. */
const FAN_OUT = (v: unknown) =>
  typeof v === 'object' && v !== null && ('resourceSpans' in v || 'spec' in v || 'records' in v);

describe('decoders under arbitrary input', () => {
  it('never throw on arbitrary bytes, and every byte sequence gets a status', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        const out = ingest([{ body: Buffer.from(bytes), input: 'fuzz' }], options());
        if (Buffer.from(bytes).toString('utf8').trim() !== '') expect(total(out.report)).toBeGreaterThan(0);
        expect(out.deadLetters).toHaveLength(out.report.counts.rejected);
      }),
      { numRuns: 300 },
    );
  });

  it('give each JSON Lines record exactly one status', () => {
    fc.assert(
      fc.property(fc.array(fc.object({ maxDepth: 4 }), { minLength: 2, maxLength: 20 }), (values) => {
        const lines = values.filter((v) => !FAN_OUT(v));
        fc.pre(lines.length >= 2);
        const out = ingest([{ body: lines.map((v) => JSON.stringify(v)).join('\n'), input: 'fuzz' }], options());
        expect(total(out.report)).toBe(lines.length);
      }),
      { numRuns: 300 },
    );
  });

  /** One element of a `{"records":[…]}` fixture (the cloud logs arrive in that envelope). */
  const recordOf = (file: string, i: number) => (fixtureRecords(file)[0]!.records as Record<string, unknown>[])[i]!;

  // One record per format that decodes to exactly one event (fan-out envelopes are left out: an
  // envelope mutated to hold no records has nothing to give a status to).
  const samples = [
    fixtureRecords('tetragon/kprobe-syscall-read.json')[0]!,
    fixtureRecords('tetragon/enterprise-connect.jsonl')[1]!,
    fixtureRecords('kubescape/runtime-alerts-stdout.jsonl')[0]!,
    fixtureRecords('falco/json-output.jsonl')[0]!,
    fixtureRecords('toolhive/audit-events.jsonl')[2]!,
    fixtureRecords('defender/continuous-export-k8s-alert.json')[0]!,
    fixtureRecords('defender/activity-log-alert.json')[0]!,
    fixtureRecords('tracee/events.jsonl')[0]!,
    recordOf('cloud/aks-kube-audit.json', 1),
    recordOf('cloud/entra-signins.json', 0),
    recordOf('cloud/keyvault-audit.json', 0),
  ];

  it('never throw on mutated fixture records, and give each one exactly one status', () => {
    const mutate = (record: unknown, paths: number[], replacement: unknown): unknown => {
      if (record === null || typeof record !== 'object' || paths.length === 0) return replacement;
      const keys = Object.keys(record);
      if (!keys.length) return record;
      const key = keys[paths[0]! % keys.length]!;
      const copy: Record<string, unknown> = Array.isArray(record)
        ? ([...record] as unknown as Record<string, unknown>)
        : { ...(record as Record<string, unknown>) };
      if (paths.length === 1 && replacement === undefined) delete copy[key];
      else copy[key] = mutate((record as Record<string, unknown>)[key], paths.slice(1), replacement);
      return copy;
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(fc.nat(50), { minLength: 1, maxLength: 5 }),
        fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 3 })),
        (record, path, replacement) => {
          const out = ingest([{ body: JSON.stringify(mutate(record, path, replacement)), input: 'fuzz' }], options());
          expect(total(out.report)).toBeGreaterThanOrEqual(1);
          expect(out.deadLetters).toHaveLength(out.report.counts.rejected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
