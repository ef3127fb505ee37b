/**
 * Finding 1 of issue 14: no invalid time enters the pipeline. A time outside the sane range is
 * rejected as `bad-time` naming the field (never quoting it), its neighbours go on, a stage never
 * holds an invalid date (not from a message on an internal hub, not from a restored snapshot), and
 * every record ends with a status (an envelope with nothing in it is dropped as `empty`).
 */
import { describe, expect, it } from 'vitest';
import { ingest } from '../../../src/ingest/ingest.ts';
import { total } from '../../../src/common/report.ts';
import { readFixture } from '../../helpers/fixtures.ts';
import { samples, spanPath, withValue, type Json } from '../../helpers/hostile.ts';
import { feed, finish, MemoryStateStore, newRun, signals, testConfig } from '../../helpers/pipeline.ts';

const NOW = Date.parse('2026-11-30T00:00:00Z');
const HUGE = '999999999999999999999999999999';

function options(now = NOW) {
  const config = testConfig();
  return {
    decode: { cluster: 'c', redaction: config.redaction },
    limits: config.limits,
    signals: signals(),
    now: () => now,
  };
}

const lines = (...records: Json[]) => records.map((r) => JSON.stringify(r)).join('\n');

describe('event times outside the sane range', () => {
  const PRIMARY: Record<string, string[]> = {
    'tetragon exec': ['time'],
    'tetragon kprobe': ['time'],
    'kubescape stdout': ['BaseRuntimeMetadata', 'timestamp'],
    falco: ['time'],
    toolhive: ['logged_at'],
    tracee: ['timestamp'],
    defender: ['StartTimeUtc'],
    'otlp span': spanPath('startTimeUnixNano'),
  };
  for (const sample of samples()) {
    const path = PRIMARY[sample.name]!;
    for (const [shape, value] of [
      ['a 30-digit string', HUGE],
      ['a 1e30 number', 1e30],
      ['year 1 (Go zero time)', '0001-01-01T00:00:00Z'],
      ['year 9000', '9000-01-01T00:00:00Z'],
      ['1999', '1999-12-31T23:59:59Z'],
    ] as const) {
      // A value of a type the format's schema forbids (a number where RFC 3339 text belongs) is a
      // schema mismatch; a value of the right type but out of range is a bad time. Either way the
      // record is rejected alone, naming the field and not the value.
      it(`rejects a ${sample.name} record whose ${path.at(-1)} is ${shape}, naming the field, and delivers its neighbours`, () => {
        const out = ingest(
          [{ body: lines(sample.record, withValue(sample.record, path, value), sample.record), input: 'test' }],
          options(),
        );
        expect(out.report.counts.rejected).toBe(1);
        expect(out.report.counts.delivered + out.report.counts.dropped).toBe(2);
        const dead = out.deadLetters[0]!;
        expect(['bad-time', 'schema-mismatch']).toContain(dead.reasonCode);
        expect(dead.reason).toContain(path.at(-1));
        expect(dead.reason).not.toContain(String(value));
      });
    }
  }

  it('rejects an OTLP span whose end time is out of range', () => {
    const otlp = samples().find((s) => s.name === 'otlp span')!;
    const out = ingest(
      [{ body: lines(withValue(otlp.record, spanPath('endTimeUnixNano'), HUGE)), input: 'test' }],
      options(),
    );
    expect(out.report.reasons.rejected['bad-time']).toBe(1);
    expect(out.deadLetters[0]?.reason).toContain('endTimeUnixNano');
  });

  it('accepts times up to a day ahead of the clock, and rejects times beyond', () => {
    const falco = samples().find((s) => s.name === 'falco')!;
    const soon = withValue(falco.record, ['time'], new Date(NOW + 23 * 3_600_000).toISOString());
    const later = withValue(falco.record, ['time'], new Date(NOW + 25 * 3_600_000).toISOString());
    const out = ingest([{ body: lines(soon, later), input: 'test' }], options());
    expect(out.report.counts.delivered).toBe(1);
    expect(out.report.reasons.rejected['bad-time']).toBe(1);
  });

  it('takes the range from limits.earliestEventTime and limits.maxFutureMinutes', () => {
    const falco = samples().find((s) => s.name === 'falco')!;
    const old = withValue(falco.record, ['time'], '1995-06-01T00:00:00Z');
    const config = testConfig({ CAUSEWAY_EARLIEST_EVENT_TIME: '1990-01-01T00:00:00Z' });
    const out = ingest([{ body: lines(old), input: 'test' }], { ...options(), limits: config.limits });
    expect(out.report.counts.delivered).toBe(1);
  });

  it('never delivers a Tetragon or ToolHive record with an impossible time', () => {
    const toolhive = samples().find((s) => s.name === 'toolhive')!;
    const huge = withValue(toolhive.record, ['metadata', 'extra', 'duration_ms'], 1e300);
    const out = ingest([{ body: lines(huge), input: 'test' }], options());
    for (const e of out.episodes) expect(Number.isFinite(new Date(e.episode.start).getTime())).toBe(true);
    for (const e of out.workloadEvents) expect(new Date(e.event.time).getUTCFullYear()).toBeGreaterThanOrEqual(2000);
    expect(total(out.report)).toBe(1);
  });
});

describe('upstream notices and empty envelopes', () => {
  it("gives Kubescape's AlertLimitReached notice (Go zero time) the arrival time", () => {
    const out = ingest([{ body: readFixture('kubescape/alert-limit-reached.json'), input: 'test' }], options());
    expect(out.health).toHaveLength(1);
    expect(out.health[0]!.time).toBe(NOW);
  });

  it('drops a Kubescape envelope with no alerts as empty', () => {
    const envelope = JSON.parse(readFixture('kubescape/runtime-alerts-http.json').toString()) as Json;
    const empty = withValue(envelope, ['spec', 'alerts'], []);
    const out = ingest([{ body: JSON.stringify(empty), input: 'test' }], options());
    expect(out.report.reasons.dropped.empty).toBe(1);
    expect(total(out.report)).toBe(1);
  });

  it('drops an OTLP request with no spans as empty', () => {
    for (const body of ['{"resourceSpans":[]}', '{"resourceSpans":[{"resource":{},"scopeSpans":[]}]}']) {
      const out = ingest([{ body, input: 'test' }], options());
      expect(out.report.reasons.dropped.empty, body).toBe(1);
      expect(total(out.report), body).toBe(1);
    }
  });
});

describe('a stage never holds an invalid date', () => {
  const falco = () => samples().find((s) => s.name === 'falco')!.record;

  it('keeps answering valid alerts from a host after one with an impossible time', async () => {
    const run = newRun();
    await feed(run, [
      { body: lines(withValue(falco(), ['time'], HUGE), falco()), input: 'falco' },
      { body: lines(withValue(falco(), ['uuid'], 'another-alert')), input: 'falco' },
    ]);
    await finish(run);
    expect(run.records.reasons.rejected['bad-time']).toBe(1);
    expect(run.records.counts.errored).toBe(0);
    expect(run.stages.counts.errored).toBe(0);
    expect(run.sink.rows('CausewayStories_CL').length).toBeGreaterThan(0);
  });

  it('dead-letters an event with an impossible time on the workload hub, and processes its neighbour', async () => {
    const run = newRun();
    const event = {
      id: 'hub:1',
      layer: 'process',
      kind: 'process.exec',
      time: 1e24,
      source: { product: 'x', format: 'x', nativeId: '1' },
      workload: { cluster: 'c', namespace: 'n', pod: 'p' },
      process: { key: 'k1' },
    };
    await run.pipeline.bus.publish('workload-events', [
      { key: 'c/n/p', body: { key: 'c/n/p', event } },
      { key: 'c/n/p', body: { key: 'c/n/p', event: { ...event, id: 'hub:2', time: NOW } } },
    ]);
    const r = await run.pipeline.submit([]);
    expect(r.stages.reasons.rejected['malformed-message']).toBe(1);
    expect(r.stages.reasons.delivered.ok).toBe(1);
    expect(r.stages.counts.errored).toBe(0);
  });

  it('drops and counts an impossible time in a restored snapshot instead of replaying it forever', async () => {
    const state = new MemoryStateStore();
    const first = newRun(undefined, undefined, state);
    await feed(first, [{ body: lines(falco()), input: 'falco' }]);
    await first.pipeline.snapshot();
    let poisoned = 0;
    for (const [key, text] of state.saved) {
      const snap = JSON.parse(text) as unknown;
      poisoned += poison(snap);
      state.saved.set(key, JSON.stringify(snap));
    }
    expect(poisoned).toBeGreaterThan(0);

    const second = newRun(undefined, undefined, state);
    await feed(second, [{ body: lines(withValue(falco(), ['uuid'], 'after-restart')), input: 'falco' }]);
    await finish(second);
    expect(second.stages.counts.errored).toBe(0);
    expect(second.stages.reasons.dropped['invalid-state']).toBeGreaterThan(0);
    expect(second.sink.rows('CausewayStories_CL').length).toBeGreaterThan(0);
    for (const row of second.sink.rows('CausewayStories_CL')) expect(String(row.FirstSeen)).toMatch(/^20\d\d-/);
  });
});

/** Sets every event `time` in a snapshot to 1e24 (what an unchecked 30-digit time became). */
function poison(node: unknown): number {
  if (node === null || typeof node !== 'object') return 0;
  let n = 0;
  const o = node as Record<string, unknown>;
  if (typeof o.time === 'number' && typeof o.kind === 'string') {
    o.time = 1e24;
    n++;
  }
  for (const v of Object.values(o)) n += poison(v);
  return n;
}
