import { describe, expect, it } from 'vitest';
import type { Episode, Signal } from '../../../src/model/episode.ts';
import type { RuntimeEvent, TraceInfo, WorkloadIdentity } from '../../../src/model/event.ts';
import type { Story } from '../../../src/model/story.ts';
import { STORY_UPDATE_INTERVAL_MS, StoryStage, type StoryStageOptions } from '../../../src/story/storyStage.ts';
import { evidenceIdFor } from '../../../src/story/storyIds.ts';
import { MCP, read, T0, unitSignals } from '../../helpers/workloadEvents.ts';

const IDLE_MS = 300_000;
const AGENT: WorkloadIdentity = {
  cluster: 'c1',
  namespace: 'agents',
  workloadKind: 'Deployment',
  workloadName: 'travel',
  pod: 'travel-5f7c8d9b6c-k2m4p',
};
const MCP_KEY = 'c1/tools/Deployment/mcp';
const AGENT_KEY = 'c1/agents/Deployment/travel';

function stage(options: Partial<StoryStageOptions> = {}): StoryStage {
  return new StoryStage({
    signals: unitSignals(),
    allowedLatenessMs: 60_000,
    storyIdleMs: IDLE_MS,
    maxEpisodes: 100,
    maxStories: 100,
    partition: 0,
    partitions: 1,
    ...options,
  });
}

/** An episode as the workload stage would emit it, its time span taken from its evidence. */
function episode(id: string, kind: Episode['kind'], evidence: RuntimeEvent[], o: Partial<Episode> = {}): Episode {
  const times = evidence.map((e) => e.time);
  return {
    id,
    version: 1,
    kind,
    cluster: 'c1',
    workloadKey: MCP_KEY,
    workload: MCP,
    start: Math.min(...times),
    end: Math.max(...times),
    traceIds: [...new Set(evidence.flatMap((e) => (e.trace?.traceId ? [e.trace.traceId] : [])))],
    mcpSessionIds: [],
    conversationIds: [],
    agentNames: [],
    toolNames: [],
    podIps: [],
    clientIps: [],
    endUsers: [],
    signals: [],
    evidence,
    edges: [],
    elided: 0,
    ...o,
  };
}

function signal(ruleId: string, event: RuntimeEvent, severity: Signal['severity'] = 'High'): Signal {
  return {
    id: `${ruleId}:${event.id}`,
    ruleId,
    name: ruleId,
    severity,
    tactics: [],
    techniques: [],
    atlas: [],
    eventId: event.id,
    time: event.time,
    reason: 'unit test',
    delayed: event.source.product === 'defender',
  };
}

function span(id: string, at: number, workload: WorkloadIdentity, trace: TraceInfo): RuntimeEvent {
  return {
    id,
    layer: trace.spanKind === 'SERVER' || trace.mcpMethod ? 'protocol' : 'agent',
    kind: trace.mcpMethod ? 'mcp.request' : 'agent.invoke',
    time: T0 + at,
    source: { product: 'otel', format: 'unit', nativeId: id },
    workload: { ...workload },
    trace,
  };
}

function promptAlert(id: string, at: number, applicationName: string): RuntimeEvent {
  return {
    id,
    layer: 'prompt',
    kind: 'alert',
    time: T0 + at,
    source: { product: 'defender', format: 'unit', nativeId: id },
    workload: {},
    alert: {
      vendor: 'defender',
      type: 'AI.Azure_Jailbreak',
      name: 'A jailbreak attempt was detected',
      severity: 'Medium',
      tactics: [],
      techniques: [],
      nativeId: id,
      applicationName,
    },
  };
}

function batch(...episodes: Episode[]) {
  return episodes.map((episode) => ({ key: episode.cluster, episode }));
}

/** Event ids of a story's evidence. */
function eventIds(story: Story): string[] {
  return story.evidence.map((e) => e.event.id);
}

/**
 * Event ids in a story's graph, in graph order. The graph is whole in every version (evidence
 * rows carry only what is new), and its node ids are the evidence ids of story and event.
 */
function graphEvents(story: Story, candidates: string[]): string[] {
  const nodes = new Set(story.graph.nodes.map((n) => n.id));
  return candidates.filter((id) => nodes.has(evidenceIdFor(story.storyId, id)));
}

/** The reasons of the graph edges from one event to another. */
function edgeReasons(story: Story, from: string, to: string): string[] {
  const [f, t] = [evidenceIdFor(story.storyId, from), evidenceIdFor(story.storyId, to)];
  return story.graph.edges.filter((e) => e.from === f && e.to === t).map((e) => e.reason);
}

/** An agent turn whose MCP client span called the server span of a tool call in another workload. */
function calledToolCall(trace: string, at: number) {
  const invoke = span(`invoke-${trace}`, at, AGENT, {
    traceId: trace,
    spanId: `a-${trace}`,
    agentName: 'travel-agent',
  });
  const client = span(`client-${trace}`, at + 100, AGENT, {
    traceId: trace,
    spanId: `c-${trace}`,
    parentSpanId: `a-${trace}`,
    spanKind: 'CLIENT',
    mcpMethod: 'tools/call',
    toolName: 'run_command',
  });
  const server = span(`server-${trace}`, at + 200, MCP, {
    traceId: trace,
    spanId: `s-${trace}`,
    parentSpanId: `c-${trace}`,
    spanKind: 'SERVER',
    mcpMethod: 'tools/call',
    toolName: 'run_command',
  });
  const secret = read(`read-${trace}`, 'sh', at + 300, '/secrets/token');
  const turn = episode(`ep:turn:${trace}`, 'agent-turn', [invoke, client], {
    workloadKey: AGENT_KEY,
    workload: AGENT,
    agentNames: ['travel-agent'],
  });
  const tool = episode(`ep:tool:${trace}`, 'tool', [server, secret], { signals: [signal('T-SECRET', secret)] });
  return { turn, tool, client, server, secret };
}

describe('story stage: joins', () => {
  it('joins an agent turn and the tool call it made in another workload by trace, with a called edge', () => {
    const s = stage();
    const { turn, tool, client, server } = calledToolCall('t1', 1_000);
    // An unrelated turn of the same agent at the same time, in another trace.
    const other = episode('ep:turn:other', 'agent-turn', [span('invoke-other', 1_050, AGENT, { traceId: 'other' })], {
      workloadKey: AGENT_KEY,
      workload: AGENT,
    });
    expect(s.process(batch(turn, other)).stories).toEqual([]);
    const { stories } = s.process(batch(tool));
    expect(stories).toHaveLength(1);
    const story = stories[0]!;
    expect(story.workloads).toEqual([AGENT_KEY, MCP_KEY]);
    expect(eventIds(story)).toEqual(['invoke-t1', 'client-t1', 'server-t1', 'read-t1']);
    expect(edgeReasons(story, client.id, server.id)).toEqual(['called']);
  });

  it('joins a prompt alert to the agent turn whose application name matches, whichever arrives first', () => {
    for (const order of ['alert first', 'turn first']) {
      const s = stage();
      const alert = promptAlert('d1', 1_000, 'travel-agent');
      const prompt = episode('ep:prompt:d1', 'prompt-alert', [alert], {
        cluster: '',
        workloadKey: '',
        workload: {},
        promptContext: { applicationName: 'travel-agent' },
        signals: [signal('T-ALERT', alert, 'Medium')],
      });
      const invoke = span('invoke-t1', 1_500, AGENT, { traceId: 't1', agentName: 'travel-agent' });
      const turn = episode('ep:turn:t1', 'agent-turn', [invoke], {
        workloadKey: AGENT_KEY,
        workload: AGENT,
        agentNames: ['travel-agent'],
      });
      const [a, b] = order === 'alert first' ? [prompt, turn] : [turn, prompt];
      const stories = [...s.process(batch(a)).stories, ...s.process(batch(b)).stories, ...s.flush().stories];
      expect(new Set(stories.map((x) => x.storyId)).size, order).toBe(1);
      const latest = stories.at(-1)!;
      expect(graphEvents(latest, ['d1', 'invoke-t1']), order).toEqual(['d1', 'invoke-t1']);
      expect(edgeReasons(latest, 'd1', 'invoke-t1'), order).toEqual(['prompted']);
    }
  });

  it('does not join a prompt alert to a turn of another application', () => {
    const s = stage();
    const alert = promptAlert('d1', 1_000, 'billing-agent');
    const prompt = episode('ep:prompt:d1', 'prompt-alert', [alert], {
      cluster: '',
      workloadKey: '',
      workload: {},
      promptContext: { applicationName: 'billing-agent' },
      signals: [signal('T-ALERT', alert, 'Medium')],
    });
    const turn = episode('ep:turn:t1', 'agent-turn', [span('invoke-t1', 1_500, AGENT, { traceId: 't1' })], {
      workloadKey: AGENT_KEY,
      workload: AGENT,
      agentNames: ['travel-agent'],
    });
    const stories = [...s.process(batch(turn, prompt)).stories, ...s.flush().stories];
    expect(stories).toHaveLength(1);
    expect(graphEvents(stories[0]!, ['d1', 'invoke-t1'])).toEqual(['d1']);
  });
});

describe('story stage: versions', () => {
  const secret = read('r1', 'sh', 1_000, '/secrets/token');
  const v1 = episode('ep:signal:1', 'signal', [secret], { signals: [signal('T-SECRET', secret)] });
  const benign = read('r2', 'sh', 11_000, '/etc/hostname');
  const v2 = { ...episode('ep:signal:1', 'signal', [secret, benign], { signals: v1.signals }), version: 2 };

  it('drops an episode version it already holds', () => {
    const s = stage();
    s.process(batch(v1));
    const again = s.process(batch(v1));
    expect(again.stories).toEqual([]);
    expect(again.report.reasons.dropped).toEqual({ duplicate: 1 });
  });

  it('holds content-only growth back and writes it once the update interval has passed, with only the new evidence', () => {
    const s = stage();
    const [first] = s.process(batch(v1)).stories;
    expect(first!.version).toBe(2 * (1 + 0 + 1));
    expect(s.process(batch(v2)).stories).toEqual([]);
    // v1 was written at event time 1 s; the interval counts from there.
    expect(s.tick(T0 + 1_000 + STORY_UPDATE_INTERVAL_MS - 1).stories).toEqual([]);
    const [held] = s.tick(T0 + 1_000 + STORY_UPDATE_INTERVAL_MS).stories;
    expect(held!.storyId).toBe(first!.storyId);
    expect(held!.version).toBe(2 * (2 + 0 + 1));
    expect(eventIds(held!)).toEqual(['r2']);
  });

  it('writes a new signal at once', () => {
    const s = stage();
    s.process(batch(v1));
    const flagged = read('r3', 'sh', 2_000, '/secrets/other');
    const v3 = {
      ...episode('ep:signal:1', 'signal', [secret, flagged], { signals: [...v1.signals, signal('T-SECRET', flagged)] }),
      version: 3,
    };
    const [story] = s.process(batch(v3)).stories;
    expect(story!.signals).toHaveLength(2);
    expect(eventIds(story!)).toEqual(['r3']);
  });

  it('keeps a held version across snapshot and restore and writes it at flush', () => {
    const s = stage();
    s.process(batch(v1));
    s.process(batch(v2));
    const restored = stage();
    restored.restore(JSON.parse(JSON.stringify(s.snapshot())));
    const [held] = restored.flush().stories;
    expect(eventIds(held!)).toEqual(['r2']);
    expect(restored.flush().stories).toEqual([]);
  });

  it('merges two stories when an episode joins them: the later story points at the one that stays', () => {
    const s = stage();
    const a = calledToolCall('t1', 1_000);
    const b = calledToolCall('t2', 5_000);
    const [storyA] = s.process(batch(a.tool)).stories;
    const [storyB] = s.process(batch(b.tool)).stories;
    expect(storyA!.storyId).not.toBe(storyB!.storyId);
    // One agent turn that made both calls.
    const turn = episode('ep:turn:both', 'agent-turn', [...a.turn.evidence, ...b.turn.evidence], {
      workloadKey: AGENT_KEY,
      workload: AGENT,
    });
    const out = s.process(batch(turn)).stories;
    const merged = out.find((x) => x.status === 'merged')!;
    const kept = out.find((x) => x.status === 'open')!;
    expect(out).toHaveLength(2);
    // The earliest signal anchors the story, so A's id stays and B is merged into it.
    expect(kept.storyId).toBe(storyA!.storyId);
    expect(kept.mergedStoryIds).toEqual([storyB!.storyId]);
    expect(merged).toMatchObject({ storyId: storyB!.storyId, mergedInto: storyA!.storyId, evidence: [] });
    expect(merged.version).toBeGreaterThan(storyB!.version);
    expect(graphEvents(kept, ['read-t1', 'read-t2', 'invoke-t1', 'invoke-t2'])).toHaveLength(4);
  });
});

describe('story stage: fragments another process wrote', () => {
  it('marks merged the fragment a crashed process wrote before its snapshot, when a replay joins its episodes at once', () => {
    const a = calledToolCall('t1', 1_000);
    const b = calledToolCall('t2', 5_000);
    const turn = episode('ep:turn:both', 'agent-turn', [...a.turn.evidence, ...b.turn.evidence], {
      workloadKey: AGENT_KEY,
      workload: AGENT,
    });
    // The first process wrote B's story alone, then died before its snapshot.
    const [fragment] = stage().process(batch(b.tool)).stories;
    // Its successor replays the episodes in one batch: they join before B's story is ever written.
    const out = stage().process(batch(a.tool, b.tool, turn)).stories;
    const kept = out.find((x) => x.status === 'open')!;
    const tombstone = out.find((x) => x.storyId === fragment!.storyId)!;
    expect(tombstone).toMatchObject({ status: 'merged', mergedInto: kept.storyId, evidence: [] });
    // Above any version the fragment had: the parser's latest version per StoryId is the merged one.
    expect(tombstone.version).toBeGreaterThan(fragment!.version);
  });
});

describe('story stage: idle close and expiry', () => {
  it('closes a story idle for the idle timeout, then forgets it', () => {
    const s = stage();
    const secret = read('r1', 'sh', 1_000, '/secrets/token');
    const [open] = s.process(
      batch(episode('ep:signal:1', 'signal', [secret], { signals: [signal('T-SECRET', secret)] })),
    ).stories;
    expect(s.tick(T0 + 1_000 + IDLE_MS - 1).stories).toEqual([]);
    const [closed] = s.tick(T0 + 1_000 + IDLE_MS).stories;
    expect(closed).toMatchObject({
      storyId: open!.storyId,
      status: 'closed',
      version: open!.version + 1,
      evidence: [],
    });
    expect(s.stats).toMatchObject({ episodes: 1, stories: 1 });
    s.tick(T0 + 1_000 + 60_000 + 2 * IDLE_MS + 1);
    expect(s.stats).toMatchObject({ episodes: 0, stories: 0 });
  });
});
