/**
 * Story versions under a repeat storm (emitPacing.ts): a large episode that only grows by repeats
 * is emitted again once it has grown by a quarter, so a loud attacker costs tens of versions, not
 * one per batch; anything new in meaning (a rule, an event kind) goes out in the same batch, and
 * tick, flush and a restore from a snapshot write what was held back.
 */
import { describe, expect, it } from 'vitest';
import type { Episode } from '../../../src/model/episode.ts';
import { LARGE_EPISODE } from '../../../src/workload/emitPacing.ts';
import { WorkloadStage } from '../../../src/workload/workloadStage.ts';
import { exec, keyed, MCP, read, T0, unitSignals } from '../../helpers/workloadEvents.ts';

function stage(limits: { maxEpisodes?: number; maxWorkloads?: number } = {}): WorkloadStage {
  return new WorkloadStage({
    signals: unitSignals(),
    allowedLatenessMs: 3_600_000,
    learningPeriodMs: 0,
    parkingTimeoutMs: 10_000,
    maxParked: 100,
    maxWorkloads: limits.maxWorkloads ?? 8,
    limits: {
      maxProcesses: 100_000,
      maxBuffered: 256,
      maxEvidence: 100,
      maxEpisodes: limits.maxEpisodes ?? 64,
      maxSeen: 1_000_000,
    },
  });
}

const SHELL = { parentKey: 'server', parentBinary: '/usr/bin/node', parentStart: -3_600_000, binary: '/bin/sh' };
/** The n-th batch of `per` token reads by the shell (each a signal, so each is kept). */
const reads = (n: number, per: number) =>
  Array.from({ length: per }, (_, i) => read(`r${n}-${i}`, 'sh', 1_000 + n * per + i, '/secrets/token'));

const signalEpisodes = (out: { episodes: { episode: Episode }[] }) =>
  out.episodes.map((e) => e.episode).filter((e) => e.kind === 'signal');

describe('episode versions under repeats', () => {
  it('a repeat storm past the large-episode size is emitted at growth steps, and flush writes the rest', () => {
    const s = stage();
    s.process(keyed(exec('sh', 0, SHELL)));
    const per = 100;
    const batches = 60;
    const sizes: number[] = [];
    for (let n = 0; n < batches; n++)
      for (const ep of signalEpisodes(s.process(keyed(...reads(n, per))))) sizes.push(ep.evidence.length);
    // Every batch is emitted while the episode is small; past LARGE_EPISODE, only at 25% steps.
    const large = sizes.filter((n) => n * 2 >= LARGE_EPISODE);
    expect(sizes.length).toBeLessThan(batches / 2);
    for (let i = 1; i < large.length; i++) expect(large[i]!).toBeGreaterThanOrEqual(large[i - 1]! * 1.2);
    const last = signalEpisodes(s.flush());
    expect(last).toHaveLength(1);
    expect(last[0]!.evidence).toHaveLength(1 + batches * per);
    expect(last[0]!.signals).toHaveLength(batches * per);
  });

  it('something new in a held episode goes out in the same batch', () => {
    const s = stage();
    s.process(keyed(exec('sh', 0, SHELL)));
    for (let n = 0; n < 12; n++) s.process(keyed(...reads(n, 100)));
    // A child process (a new event kind for the episode: an exec, a spawned link) after a repeat.
    const child = exec('curl', 5_000, { parentKey: 'sh', parentBinary: '/bin/sh', binary: '/usr/bin/curl' });
    const out = signalEpisodes(s.process(keyed(...reads(12, 5), child)));
    expect(out).toHaveLength(1);
    expect(out[0]!.evidence.some((e) => e.id === child.id)).toBe(true);
  });

  it('tick writes a held version', () => {
    const s = stage();
    s.process(keyed(exec('sh', 0, SHELL)));
    for (let n = 0; n < 12; n++) s.process(keyed(...reads(n, 100)));
    const held = signalEpisodes(s.process(keyed(...reads(12, 5))));
    expect(held).toEqual([]);
    const ticked = signalEpisodes(s.tick(T0 + 2_000));
    expect(ticked).toHaveLength(1);
    expect(ticked[0]!.signals).toHaveLength(1_205);
  });

  it('a version held back when the snapshot was taken is written after a restore', () => {
    const s = stage();
    s.process(keyed(exec('sh', 0, SHELL)));
    for (let n = 0; n < 12; n++) s.process(keyed(...reads(n, 100)));
    expect(signalEpisodes(s.process(keyed(...reads(12, 5))))).toEqual([]);
    const restored = stage();
    restored.restore(JSON.parse(JSON.stringify(s.snapshot())));
    const out = signalEpisodes(restored.tick(T0 + 2_000));
    expect(out).toHaveLength(1);
    expect(out[0]!.signals).toHaveLength(1_205);
  });

  it('a held version is written when its episode or its workload is evicted', () => {
    const held = (s: WorkloadStage) => {
      s.process(keyed(exec('sh', 0, SHELL)));
      for (let n = 0; n < 12; n++) s.process(keyed(...reads(n, 100)));
      expect(signalEpisodes(s.process(keyed(...reads(12, 5))))).toEqual([]);
    };
    // Another shell's episode pushes the held one out of a workload that keeps one episode.
    const episodes = stage({ maxEpisodes: 1 });
    held(episodes);
    const other = exec('sh2', 3_000, { ...SHELL, pid: 2 });
    const out = signalEpisodes(episodes.process(keyed(other, read('x', 'sh2', 3_001, '/secrets/other'))));
    expect(out.map((e) => e.signals.length).sort((a, b) => a - b)).toEqual([1, 1_205]);
    // Another workload pushes the whole workload out of a stage that keeps one.
    const workloads = stage({ maxWorkloads: 1 });
    held(workloads);
    const elsewhere = exec('sh3', 3_000, { ...SHELL, workload: { ...MCP, workloadName: 'other', pod: 'other-1' } });
    const evicted = signalEpisodes(workloads.process(keyed(elsewhere)));
    expect(evicted.map((e) => e.signals.length)).toEqual([1_205]);
  });
});
