/**
 * The story row budget (issue 14, finding 5): however often an attacker repeats a signalling
 * action, and however varied and long the values, every story row written fits STORY_ROW_BUDGET,
 * every column fits what Log Analytics keeps whole, and the row says what it summarised.
 */
import { describe, expect, it } from 'vitest';
import type { Edge, Episode, Signal } from '../../../src/model/episode.ts';
import type { RuntimeEvent } from '../../../src/model/event.ts';
import type { Story } from '../../../src/model/story.ts';
import { storyRow } from '../../../src/sinks/rows.ts';
import { buildStory } from '../../../src/story/buildStory.ts';
import { STORY_ROW_BUDGET } from '../../../src/story/storyBudget.ts';
import { StoryStage } from '../../../src/story/storyStage.ts';
import { MCP, T0, unitSignals } from '../../helpers/workloadEvents.ts';
import { runScenario } from '../../helpers/pipeline.ts';
import { pod, proc, tetragonExec, tetragonFile } from '../../../src/demo/builders.ts';

const TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
/** Log Analytics truncates a field value past 64 KB (reference/azure-platform.md). */
const FIELD_LIMIT = 64 * 1024;

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

function exec(id: string, at: number, binary: string, commandLine: string, parent?: string): RuntimeEvent {
  return {
    id,
    layer: 'process',
    kind: 'process.exec',
    time: T0 + at,
    source: { product: 'tetragon', format: 'unit', nativeId: id },
    workload: { ...MCP },
    process: { key: id, parentKey: parent, binary, commandLine },
  };
}

function read(id: string, at: number, processKey: string, binary: string, path: string): RuntimeEvent {
  return {
    id,
    layer: 'file',
    kind: 'file.read',
    time: T0 + at,
    source: { product: 'tetragon', format: 'unit', nativeId: id },
    workload: { ...MCP },
    process: { key: processKey, binary },
    file: { path, operation: 'read' },
  };
}

function tokenRead(event: RuntimeEvent): Signal {
  return {
    id: `CW-CRED-SA-TOKEN:${event.id}`,
    ruleId: 'CW-CRED-SA-TOKEN',
    name: 'Kubernetes service-account token read',
    severity: 'High',
    tactics: ['CredentialAccess'],
    techniques: ['T1528', 'T1552.001'],
    atlas: ['AML.T0055'],
    eventId: event.id,
    time: event.time,
    reason: `${event.process?.binary} read ${event.file?.path}`,
    delayed: false,
  };
}

/** A server whose shell reads the token `n` times, one `cat` each, as one signal episode. */
class Hammer {
  readonly evidence: RuntimeEvent[] = [];
  readonly edges: Edge[] = [];
  readonly signals: Signal[] = [];
  private n = 0;
  constructor() {
    const server = exec('server', 0, '/usr/local/bin/node', '/usr/local/bin/node /app/server.js');
    const sh = exec('sh', 10, '/bin/sh', `/bin/sh -c "while true; do cat ${TOKEN}; done"`, 'server');
    this.evidence.push(server, sh);
    this.edges.push({ from: 'server', to: 'sh', reason: 'spawned', detail: 'exec_id → parent_exec_id' });
  }
  repeat(
    times: number,
    value: (i: number) => { binary: string; path: string } = () => ({ binary: '/bin/cat', path: TOKEN }),
  ): void {
    for (let k = 0; k < times; k++, this.n++) {
      const i = this.n;
      const { binary, path } = value(i);
      const cat = exec(`cat-${i}`, 100 + i, binary, `${binary} ${path}`, 'sh');
      const r = read(`read-${i}`, 101 + i, cat.id, binary, path);
      this.evidence.push(cat, r);
      this.edges.push(
        { from: 'sh', to: cat.id, reason: 'spawned', detail: 'exec_id → parent_exec_id' },
        { from: cat.id, to: r.id, reason: 'accessed', detail: 'same process' },
      );
      this.signals.push(tokenRead(r));
    }
  }
  episode(version: number): Episode {
    return {
      id: 'ep:signal:c1/tools/Deployment/mcp:sh',
      version,
      kind: 'signal',
      cluster: 'c1',
      workloadKey: 'c1/tools/Deployment/mcp',
      workload: MCP,
      start: this.evidence[0]!.time,
      end: this.evidence.at(-1)!.time,
      traceIds: [],
      mcpSessionIds: [],
      conversationIds: [],
      agentNames: [],
      toolNames: [],
      podIps: [],
      clientIps: [],
      endUsers: [],
      signals: [...this.signals],
      evidence: [...this.evidence],
      edges: [...this.edges],
      elided: 0,
    };
  }
}

function expectWithinBudget(s: Story): void {
  const row = storyRow(s);
  expect(bytes(row)).toBeLessThanOrEqual(STORY_ROW_BUDGET.rowBytes);
  for (const [column, value] of Object.entries(row)) expect(bytes(value), column).toBeLessThan(FIELD_LIMIT);
}

describe('the story row budget', () => {
  it('keeps every row under 256 KB while one story is hammered with 100,000 token reads, and says what it counted', () => {
    const stage = new StoryStage({
      signals: unitSignals(),
      allowedLatenessMs: 60_000,
      storyIdleMs: 3_600_000,
      maxEpisodes: 100,
      maxStories: 100,
      partition: 0,
      partitions: 1,
    });
    const hammer = new Hammer();
    const written: Story[] = [];
    let largest = 0;
    for (let batch = 1; batch <= 4; batch++) {
      hammer.repeat(25_000);
      written.push(...stage.process([{ key: 'c1', episode: hammer.episode(batch) }]).stories);
    }
    written.push(...stage.flush().stories);
    for (const s of written) {
      expectWithinBudget(s);
      largest = Math.max(largest, bytes(storyRow(s)));
    }
    expect(largest).toBeLessThanOrEqual(STORY_ROW_BUDGET.rowBytes);

    const last = written.at(-1)!;
    expect(last.totals).toEqual({ events: 200_002, edges: 200_001, signals: 100_000 });
    const row = storyRow(last);
    expect(row.EvidenceCount).toBe(200_002);
    expect(row.SignalCount).toBe(100_000);
    expect(last.summarised.events).toBeGreaterThan(199_900);
    expect(last.summarised.signals).toBeGreaterThan(99_900);
    expect(last.summarised.note).toMatch(
      /^To fit the row budget: 1\d\d,\d{3} of 200,002 events are counted in 2 groups/,
    );
    const reads = last.summarised.groups.find((g) => g.kind === 'file.read')!;
    expect(reads).toMatchObject({ count: 100_000, signals: ['CW-CRED-SA-TOKEN'], label: `cat read ${TOKEN}` });
    expect(reads.examples).toHaveLength(STORY_ROW_BUDGET.examples);
    // The skeleton stays: the server, the shell, the first cat and its read, each on the attack path.
    const labels = last.graph.nodes.filter((n) => n.path).map((n) => n.label);
    expect(labels).toEqual(expect.arrayContaining(['/usr/local/bin/node /app/server.js', TOKEN]));
    expect(last.graph.nodes.filter((n) => n.count).map((n) => n.label)).toEqual([
      `cat started: /bin/cat /var/run/secrets/kubernetes.io/servic… × 99,996`,
      `cat read ${TOKEN} × 99,996`,
    ]);
    expect(last.timeline.find((t) => t.count === 100_000)?.summary).toMatch(/100,000 times, 4 shown, the last at/);
    expect(last.narrative).toMatch(
      /cat read \/var\/run\/secrets\/\S+ \(accessed, from step 3\) — Kubernetes service-account token read — repeated 100,000 times until/,
    );
    expect(last.title).toBe('Process cat in tools/mcp → service-account token read');
    // Evidence rows: the events shown, not a row per repeat.
    const evidenceRows = written.reduce((n, s) => n + s.evidence.length, 0);
    expect(evidenceRows).toBeLessThan(200);
    // Rebuilding a story of 200,000 events a few times takes a while on a shared two-core machine.
  }, 240_000);

  it('fits rows when every repeat differs (long, multi-byte paths and binaries) by grouping ever coarser kinds', () => {
    const hammer = new Hammer();
    hammer.repeat(5000, (i) => ({
      binary: `/tmp/${'ж'.repeat(40)}-${i % 7}`,
      path: `/var/run/secrets/kubernetes.io/serviceaccount/${'🔑'.repeat(200)}-${i}`,
    }));
    const story = buildStory({ episodes: [hammer.episode(1)], links: [], storySignals: [], status: 'open' })!;
    expectWithinBudget(story);
    expect(story.timeline.length).toBeLessThanOrEqual(STORY_ROW_BUDGET.maxEvents + STORY_ROW_BUDGET.maxGroups);
    expect(story.summarised.events).toBeGreaterThan(9800);
    expect(story.summarised.groups.reduce((n, g) => n + g.count, 0)).toBeGreaterThanOrEqual(story.summarised.events);
    expect(story.description.length).toBeLessThanOrEqual(4000);
  });

  it('leaves a story within the budget whole: nothing summarised, nothing in the note', () => {
    const hammer = new Hammer();
    hammer.repeat(20);
    const story = buildStory({ episodes: [hammer.episode(1)], links: [], storySignals: [], status: 'open' })!;
    expect(story.summarised).toEqual({ events: 0, signals: 0, edges: 0, groups: [], entities: {}, note: '' });
    expect(story.timeline).toHaveLength(42);
    expect(story.evidence).toHaveLength(42);
    expect(story.signals).toHaveLength(20);
  });

  it('bounds the rows a pipeline writes when a tool reads a token 500 times per body', async () => {
    const BASE = Date.parse('2026-11-20T10:00:00Z');
    const p = pod('aks-demo', 'agents', 'file-tools', 7, { container: 'mcp' });
    const server = proc(p, 1, '/usr/local/bin/node', '/app/server.js', BASE - 600_000);
    const sh = proc(p, 100, '/bin/sh', `-c "while true; do cat ${TOKEN}; done"`, BASE, server);
    const inputs = [{ at: BASE, input: 'tetragon', body: `${tetragonExec(server)}\n${tetragonExec(sh)}\n` }];
    for (let body = 0; body < 6; body++) {
      const lines: string[] = [];
      for (let j = body * 500; j < (body + 1) * 500; j++) {
        const cat = proc(p, 1000 + j, '/bin/cat', TOKEN, BASE + 10 + j * 20, sh);
        lines.push(tetragonExec(cat), tetragonFile(cat, BASE + 11 + j * 20, TOKEN));
      }
      inputs.push({ at: BASE + body * 10_000, input: 'tetragon', body: lines.join('\n') + '\n' });
    }
    const run = await runScenario(inputs);
    const rows = run.sink.rows('CausewayStories_CL');
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(bytes(r)).toBeLessThanOrEqual(STORY_ROW_BUDGET.rowBytes);
    const last = [...run.stories.values()].at(-1)!;
    expect(last.totals.signals).toBe(3000);
    expect(last.summarised.groups.map((g) => g.count)).toEqual([3000, 3000]);
    expect(run.sink.rows('CausewayEvidence_CL').length).toBeLessThan(100);
  });
});
