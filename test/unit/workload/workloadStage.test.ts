import { describe, expect, it } from 'vitest';
import type { Episode } from '../../../src/model/episode.ts';
import type { RuntimeEvent } from '../../../src/model/event.ts';
import { WorkloadStage, type WorkloadStageOptions } from '../../../src/workload/workloadStage.ts';
import { exec, keyed, MCP, pidAlert, read, T0, toolSpan, unitSignals } from '../../helpers/workloadEvents.ts';

const PARKING_TIMEOUT_MS = 10_000;

function stage(options: Partial<WorkloadStageOptions> = {}): WorkloadStage {
  return new WorkloadStage({
    signals: unitSignals(),
    allowedLatenessMs: 60_000,
    learningPeriodMs: 0,
    parkingTimeoutMs: PARKING_TIMEOUT_MS,
    maxParked: 100,
    maxWorkloads: 8,
    limits: { maxProcesses: 1000, maxBuffered: 256, maxEvidence: 100, maxEpisodes: 64, maxSeen: 1000 },
    ...options,
  });
}

/** The runtime shim: a parent outside the container that is never waited for. */
const SHIM = { parentKey: 'shim', parentBinary: '/usr/bin/containerd-shim-runc-v2' };
/** A parent started an hour before our data: it will never arrive, so nothing waits for it. */
const OLD_SERVER = { parentKey: 'server', parentBinary: '/usr/bin/node', parentStart: -3_600_000 };

function edgeOf(ep: Episode, from: RuntimeEvent, to: RuntimeEvent) {
  return ep.edges.find((e) => e.from === from.id && e.to === to.id);
}

function only(episodes: { episode: Episode }[], kind: Episode['kind']): Episode {
  const found = episodes.map((e) => e.episode).filter((e) => e.kind === kind);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('workload stage: lineage and parking', () => {
  it('parks a child that arrives before its parent and releases it, with its activity, when the parent arrives', () => {
    const s = stage();
    const child = exec('child', 2_000, {
      parentKey: 'parent',
      parentBinary: '/usr/bin/python3',
      parentStart: 1_000,
      binary: '/bin/cat',
    });
    const secret = read('r1', 'child', 2_100, '/secrets/token');
    const early = s.process(keyed(child, secret));
    expect(early.episodes).toEqual([]);
    expect(s.stats.parked).toBe(2);

    // The parent: a shell an old server started (so not a service itself): it roots the tree.
    const parent = exec('parent', 1_000, OLD_SERVER);
    const out = s.process(keyed(parent));
    expect(s.stats.parked).toBe(0);
    const ep = only(out.episodes, 'signal');
    expect(ep.signals.map((x) => x.ruleId)).toEqual(['T-SECRET']);
    expect(ep.id.endsWith(':parent')).toBe(true);
    expect(edgeOf(ep, parent, child)).toMatchObject({ reason: 'spawned', detail: 'exec_id → parent_exec_id' });
    expect(edgeOf(ep, child, secret)).toMatchObject({ reason: 'accessed' });
  });

  /** A Tetragon write by process `key` (started at `start`), as a kprobe names it: with its parent. */
  const write = (id: string, key: string, at: number, start: number, path: string): RuntimeEvent => ({
    ...read(id, key, at, path),
    kind: 'file.write',
    file: { path, operation: 'write' },
    process: { key, parentKey: 'sh', parentBinary: '/bin/sh', startTime: T0 + start, binary: '/usr/bin/wget' },
  });
  const shell = () => exec('sh', 1_000, OLD_SERVER);
  const wget = () =>
    exec('wget', 1_100, { parentKey: 'sh', parentBinary: '/bin/sh', parentStart: 1_000, binary: '/usr/bin/wget' });
  const dropped = () =>
    exec('payload', 3_000, { parentKey: 'sh', parentBinary: '/bin/sh', parentStart: 1_000, binary: '/tmp/payload' });
  const payloadRead = () => read('r-payload', 'payload', 3_100, '/secrets/token');

  it("keeps a process's effect that arrives before its exec, and the tree episode shows it", () => {
    const s = stage();
    const w = write('w1', 'wget', 1_300, 1_100, '/tmp/payload');
    s.process(keyed(w));
    expect(s.stats.parked).toBe(1);
    const out = s.process(keyed(shell(), wget(), dropped(), payloadRead()));
    const ep = only(out.episodes, 'signal');
    expect(ep.evidence.map((e) => e.id)).toContain('w1');
    expect(ep.edges.find((e) => e.to === 'w1')).toMatchObject({ from: 'tetragon:exec:wget', reason: 'accessed' });
  });

  it('keeps it when the exec comes minutes later, past the parking timeout', () => {
    const s = stage();
    s.process(keyed(shell(), write('w1', 'wget', 1_300, 1_100, '/tmp/payload')));
    // Other events move the workload's time past the parking timeout: the write goes on alone.
    s.process(keyed(read('noise', 'sh', 60_000, '/etc/hosts')));
    expect(s.stats.parked).toBe(0);
    const out = s.process(keyed(wget(), dropped(), payloadRead()));
    const ep = only(out.episodes, 'signal');
    expect(ep.evidence.map((e) => e.id)).toEqual(expect.arrayContaining(['tetragon:exec:wget', 'w1']));
  });

  it('keeps a busy parent past the process cap: its thousands of children stay one tree', () => {
    const s = stage({
      limits: { maxProcesses: 50, maxBuffered: 256, maxEvidence: 100, maxEpisodes: 64, maxSeen: 100_000 },
    });
    const events: RuntimeEvent[] = [shell()];
    for (let i = 0; i < 400; i++) {
      const key = `cat${i}`;
      events.push(
        exec(key, 1_100 + i, { parentKey: 'sh', parentBinary: '/bin/sh', parentStart: 1_000, binary: '/bin/cat' }),
      );
      events.push(read(`r${i}`, key, 1_100 + i, '/secrets/token'));
    }
    const out = s.process(keyed(...events));
    const trees = new Set(out.episodes.filter((e) => e.episode.kind === 'signal').map((e) => e.episode.id));
    expect([...trees].map((id) => id.split(':').at(-1))).toEqual(['sh']);
  });

  it('does not wait for a parent outside the container or one that started long before our data', () => {
    const s = stage();
    s.process(keyed(exec('a', 1_000, SHIM), exec('b', 1_000, { ...OLD_SERVER, parentKey: 'old' })));
    expect(s.stats.parked).toBe(0);
  });

  it('releases parked processes after the parking timeout, and a spawned edge records that the parent came late', () => {
    const s = stage();
    s.process(keyed(toolSpan('s1', 0, 5_000)));
    // The shell's parent (the server) never arrives; curl's parent (the shell) is itself parked.
    const curl = exec('curl', 1_200, {
      parentKey: 'sh',
      parentBinary: '/bin/sh',
      parentStart: 1_000,
      binary: '/usr/bin/curl',
    });
    const sh = exec('sh', 1_000, {
      parentKey: 'server',
      parentBinary: '/usr/bin/node',
      parentStart: 0,
      binary: '/bin/sh',
    });
    expect(s.process(keyed(curl, sh)).episodes).toEqual([]);
    expect(s.stats.parked).toBe(2);

    // Not yet: the workload's event time is still inside the timeout.
    expect(s.tick(T0 + 1_000 + PARKING_TIMEOUT_MS - 1).episodes).toEqual([]);
    expect(s.stats.parked).toBe(2);

    const out = s.tick(T0 + 1_000 + PARKING_TIMEOUT_MS);
    expect(s.stats.parked).toBe(0);
    const tool = only(out.episodes, 'tool');
    expect(tool.evidence.map((e) => e.id)).toEqual(expect.arrayContaining([sh.id, curl.id]));
    expect(edgeOf(tool, sh, curl)).toEqual({
      from: sh.id,
      to: curl.id,
      reason: 'spawned',
      detail: 'parent_exec_id (parent arrived late)',
    });
    expect(tool.signals.map((x) => x.ruleId)).toContain('T-SHELL-IN-TOOL');
  });

  it('keeps parked events across snapshot and restore, and still releases them on timeout', () => {
    const s = stage();
    const orphan = exec('orphan', 1_000, { parentKey: 'gone', parentBinary: '/usr/bin/python3', parentStart: 900 });
    s.process(keyed(orphan, read('r1', 'orphan', 1_100, '/secrets/token')));
    const restored = stage();
    restored.restore(JSON.parse(JSON.stringify(s.snapshot())));
    expect(restored.stats.parked).toBe(2);
    // A later event of the same workload moves its event time past the timeout.
    const out = restored.process(keyed(exec('later', 1_000 + PARKING_TIMEOUT_MS, SHIM)));
    expect(restored.stats.parked).toBe(0);
    const ep = only(out.episodes, 'signal');
    // A parent that never arrived predates our data: a service, so the orphan roots its own tree.
    expect(ep.id.endsWith(':orphan')).toBe(true);
    expect(ep.evidence.map((e) => e.id)).toEqual([orphan.id, 'r1']);
  });

  it('lets the oldest parked group go on when the parking area is full', () => {
    const s = stage({ maxParked: 2 });
    const orphan = (key: string, at: number) =>
      exec(key, at, { parentKey: `p-${key}`, parentBinary: '/usr/bin/python3', parentStart: at - 10 });
    s.process(keyed(orphan('a', 1_000), orphan('b', 1_001)));
    expect(s.stats.parked).toBe(2);
    s.process(keyed(orphan('c', 1_002)));
    expect(s.stats.parked).toBe(2);
    const parked = s.snapshot().workloads[0]!.parked.map(([key]) => key);
    expect(parked).toEqual(['p-b', 'p-c']);
  });
});

describe('workload stage: dedupe', () => {
  it('drops an event id it has already seen, in the same batch or a later one', () => {
    const s = stage();
    const p = exec('p', 1_000, SHIM);
    const secret = read('r1', 'p', 1_100, '/secrets/token');
    const first = s.process(keyed(p, secret, secret));
    expect(first.report.counts).toMatchObject({ delivered: 2, dropped: 1 });
    expect(first.report.reasons.dropped).toEqual({ duplicate: 1 });
    expect(first.episodes).toHaveLength(1);

    const again = s.process(keyed(secret));
    expect(again.report.counts).toMatchObject({ delivered: 0, dropped: 1 });
    // Nothing changed, so no new episode version.
    expect(again.episodes).toEqual([]);
  });
});

describe('workload stage: ran-in-tool attribution', () => {
  it('attributes a process started inside the tool call window, and its later activity, to the tool call', () => {
    const s = stage();
    const span = toolSpan('s1', 1_000, 3_000);
    const sh = exec('sh', 2_000, { ...OLD_SERVER, binary: '/bin/sh' });
    const secret = read('r1', 'sh', 4_000, '/secrets/token');
    s.process(keyed(span));
    const out = s.process(keyed(sh, secret));
    const tool = only(out.episodes, 'tool');
    // Evidence in event-time order: the span is reported when the call ends.
    expect(tool.evidence.map((e) => e.id)).toEqual([sh.id, span.id, secret.id]);
    expect(edgeOf(tool, span, sh)).toMatchObject({ reason: 'ran-in-tool' });
    // After the window, the read still belongs to the call through its process.
    expect(edgeOf(tool, sh, secret)).toMatchObject({ reason: 'accessed', detail: 'same process' });
    expect(tool.signals.map((x) => x.ruleId).sort()).toEqual(['T-SECRET', 'T-SHELL-IN-TOOL']);
  });

  it('claims the events buffered before a late span, with their signals, and re-checks tool-context rules', () => {
    const s = stage();
    const sh = exec('sh', 2_000, { ...OLD_SERVER, binary: '/bin/sh' });
    const secret = read('r1', 'sh', 2_500, '/secrets/token');
    const before = s.process(keyed(sh, secret));
    // Before the span, the read's signal sits in the signal episode of the process tree, and a
    // shell outside a tool call raises nothing.
    expect(only(before.episodes, 'signal').signals.map((x) => x.ruleId)).toEqual(['T-SECRET']);
    const span = toolSpan('s1', 1_000, 3_000);
    const tool = only(s.process(keyed(span)).episodes, 'tool');
    expect(tool.evidence.map((e) => e.id)).toEqual([sh.id, secret.id, span.id]);
    expect(tool.signals.map((x) => x.ruleId).sort()).toEqual(['T-SECRET', 'T-SHELL-IN-TOOL']);
  });

  it('leaves out a process started outside the window, and one in another container', () => {
    const s = stage();
    const span = toolSpan('s1', 1_000, 3_000);
    const late = exec('late', 8_000, { ...OLD_SERVER, binary: '/bin/sh' });
    const sidecar = exec('side', 2_000, {
      ...OLD_SERVER,
      binary: '/bin/sh',
      workload: { ...MCP, container: 'sidecar', containerId: 'd'.repeat(64) },
    });
    s.process(keyed(span));
    const out = s.process(keyed(late, sidecar));
    expect(out.episodes.filter((e) => e.episode.kind === 'tool')).toEqual([]);
    const snap = s.snapshot().workloads[0]!;
    const tool = snap.episodes.find((e) => e.kind === 'tool')!;
    expect(tool.processKeys).toEqual([]);
  });

  // DESIGN §4: a process that descends from another root (here a cron daemon's child) is not the
  // tool's, however well its timing matches.
  it('leaves out a process from another root in the same container during the window', () => {
    const s = stage();
    s.process(keyed(exec('server', -3_600_000, { ...SHIM, binary: '/usr/bin/node' })));
    s.process(keyed(toolSpan('s1', 1_000, 3_000)));
    const cron = exec('cronjob', 2_000, {
      parentKey: 'crond',
      parentBinary: '/usr/sbin/cron',
      parentStart: -3_600_000,
      binary: '/bin/sh',
    });
    const out = s.process(keyed(cron));
    expect(out.episodes.filter((e) => e.episode.kind === 'tool')).toEqual([]);
  });
});

describe('workload stage: alerts', () => {
  it('resolves a runtime alert to the process it names by pid and files it with that process tree', () => {
    const s = stage();
    const cat = exec('cat', 1_000, { ...SHIM, pid: 4242, binary: '/bin/cat' });
    const secret = read('r1', 'cat', 1_100, '/secrets/token');
    const first = only(s.process(keyed(cat, secret)).episodes, 'signal');
    const alert = pidAlert('f1', 4242, 1_500);
    const ep = only(s.process(keyed(alert)).episodes, 'signal');
    expect(ep.id).toBe(first.id);
    expect(ep.signals.map((x) => x.ruleId).sort()).toEqual(['T-ALERT', 'T-SECRET']);
    expect(edgeOf(ep, cat, alert)).toMatchObject({ reason: 'alerted' });
  });

  it('parks an alert that names a pid not seen yet until that process arrives', () => {
    const s = stage();
    const alert = pidAlert('f1', 4242, 900);
    expect(s.process(keyed(alert)).episodes).toEqual([]);
    expect(s.stats.parked).toBe(1);
    const cat = exec('cat', 1_000, { ...SHIM, pid: 4242, binary: '/bin/cat' });
    const ep = only(s.process(keyed(cat)).episodes, 'signal');
    expect(s.stats.parked).toBe(0);
    expect(ep.id.endsWith(':cat')).toBe(true);
    expect(edgeOf(ep, cat, alert)).toMatchObject({ reason: 'alerted' });
  });
});

describe('workload stage: expiry', () => {
  it('forgets exited and idle processes, closed episodes and old dedupe ids as event time passes', () => {
    const s = stage();
    const events: RuntimeEvent[] = [];
    for (let i = 0; i < 20; i++) {
      const p = exec(`job-${i}`, 1_000 + i, SHIM);
      events.push(p, { ...p, id: `exit-${i}`, kind: 'process.exit', time: p.time + 5 });
    }
    events.push(exec('daemon', 1_000, SHIM), exec('reader', 1_000, SHIM));
    events.push(read('r1', 'reader', 1_100, '/secrets/token'));
    s.process(keyed(...events));
    const before = s.snapshot().workloads[0]!;
    expect(before.processes).toHaveLength(22);
    expect(before.episodes).toHaveLength(1);
    expect(before.seen.length).toBe(events.length);

    s.tick(T0 + 10 * 60_000);
    s.tick(T0 + 20 * 60_000);
    const after = s.snapshot().workloads[0]!;
    expect(after.processes).toEqual([]);
    expect(after.episodes).toEqual([]);
    expect(after.seen).toEqual([]);
    expect(after.buffers.every(([, events]) => events.length === 0)).toBe(true);
  });

  // A process a tool call owned outlives its exit entry; it goes with the episode that held it.
  it('forgets an exited process that a tool call owned once the call has expired', () => {
    const s = stage();
    s.process(keyed(toolSpan('s1', 1_000, 3_000)));
    const sh = exec('sh', 2_000, { ...OLD_SERVER, binary: '/bin/sh' });
    s.process(keyed(sh, { ...sh, id: 'exit-sh', kind: 'process.exit', time: sh.time + 200 }));
    for (let i = 1; i <= 3; i++) s.tick(T0 + i * 10 * 60_000);
    expect(s.snapshot().workloads[0]!.processes).toEqual([]);
  });
});
