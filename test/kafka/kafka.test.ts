/**
 * The Kafka host against a real Apache Kafka broker (KRaft, started from Maven Central jars by
 * test/helpers/kafkaBroker.ts): the golden scenarios through real topics, scale-out across two
 * consumers of one group, failover after SIGKILL of a consumer process, and poison messages.
 * Every comparison is with the in-process pipeline on the same input.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Partitioners, type Admin, type Kafka, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readTable } from '../../src/sinks/tableFiles.ts';
import type { CausewayConfig } from '../../src/config/config.ts';
import { demoAttack } from '../../src/demo/scenarios.ts';
import { benignHour, compromisedTool, imdsTheft, reverseShell, shuffledWithDuplicates } from '../scenario/scenarios.ts';
import type { ScenarioInput } from '../../src/demo/scenario.ts';
import { startKafkaBroker, type KafkaBroker } from '../helpers/kafkaBroker.ts';
import {
  createRawTopics,
  kafkaConfig,
  kafkaOf,
  lag,
  produceFlush,
  produceInputs,
  startKafkaHost,
  waitUntilDrained,
} from '../helpers/kafkaRun.ts';
import { feed, finish, liveStories, MemorySink, newRun, runScenario } from '../helpers/pipeline.ts';
import { eventsByLiveStory, identicalById, latestStories, liveStoryRows } from '../helpers/rows.ts';

const BASE = Date.parse('2026-11-20T10:00:00Z');
const BIN = new URL('../../bin/causeway.mjs', import.meta.url).pathname;
type Row = Record<string, unknown>;

let broker: KafkaBroker;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  broker = await startKafkaBroker();
  kafka = kafkaOf(broker.brokers);
  admin = kafka.admin();
  producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await admin.connect();
  await producer.connect();
}, 300_000);

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await broker?.stop();
});

/** The tables the in-process pipeline writes for the same inputs. */
async function reference(
  config: CausewayConfig,
  inputs: ScenarioInput[],
): Promise<{ stories: Row[]; evidence: Row[] }> {
  const run = await finish(await feed(newRun(config), inputs));
  return { stories: run.sink.rows('CausewayStories_CL'), evidence: run.sink.rows('CausewayEvidence_CL') };
}

/**
 * The same live stories (latest rows equal), every event under the same live story once merges
 * are followed, every merged story resolving to a live one; repeats only identical by id. Which
 * intermediate stories existed before a merge depends on arrival order, so merged rows are not
 * compared one by one.
 */
function expectSameTables(
  actual: { stories: Row[]; evidence: Row[] },
  expected: { stories: Row[]; evidence: Row[] },
  options: { replayed?: boolean } = {},
): void {
  const a = liveStoryRows(actual.stories);
  const e = liveStoryRows(expected.stories);
  const titles = (m: Map<string, Row>) => [...m].map(([id, r]) => `${id} ${String(r.StoryTitle)}`).sort();
  expect(titles(a)).toEqual(titles(e));
  for (const [id, row] of e) {
    const got = a.get(id)!;
    // MergedStoryIds names the intermediate stories, which depend on arrival order; checked below.
    const differing = Object.keys(row).filter(
      (k) => k !== 'MergedStoryIds' && JSON.stringify(row[k]) !== JSON.stringify(got[k]),
    );
    expect(
      differing.map(
        (k) =>
          `${id} ${k}: ${JSON.stringify(got[k])?.slice(0, 400)} (in process: ${JSON.stringify(row[k])?.slice(0, 400)})`,
      ),
    ).toEqual([]);
  }
  const latest = latestStories(actual.stories);
  for (const [id, row] of a)
    for (const old of row.MergedStoryIds as string[])
      expect(latest.get(old), `${old} merged into ${id}`).toMatchObject({ Status: 'merged', MergedInto: id });
  const events = eventsByLiveStory(actual.stories, actual.evidence);
  expect(Object.keys(events).every((id) => a.has(id))).toBe(true);
  expect(events).toEqual(eventsByLiveStory(expected.stories, expected.evidence));
  identicalById(actual.stories, (r) => `${r.StoryId}/${r.Version}`);
  // An evidence row's Links are the links known when it was first written (the story's Graph has
  // them all); a new owner replaying after a crash can write the row again with more of them.
  identicalById(actual.evidence, (r) => String(r.EvidenceId), options.replayed ? ['Links'] : []);
}

async function throughKafka(
  name: string,
  inputs: ScenarioInput[],
  hosts = 1,
  env: Record<string, string> = {},
): Promise<{
  tables: { stories: Row[]; evidence: Row[] };
  partitions: { workload: string[]; story: string[] }[];
  config: CausewayConfig;
}> {
  const config = kafkaConfig(broker.brokers, name, env);
  await createRawTopics(admin, config);
  const stateDir = mkdtempSync(join(tmpdir(), 'cw-kafka-state-'));
  const sinks = Array.from({ length: hosts }, () => new MemorySink());
  const running = [];
  for (const sink of sinks) running.push(await startKafkaHost(kafka, config, sink, stateDir));
  try {
    await produceInputs(producer, config, inputs);
    await produceFlush(producer, admin, config);
    await waitUntilDrained(admin, config);
    const partitions = running.map((r) => ({
      workload: r.runtime.owner.partitions('workload'),
      story: r.runtime.owner.partitions('story'),
    }));
    return {
      tables: {
        stories: sinks.flatMap((s) => s.rows('CausewayStories_CL')),
        evidence: sinks.flatMap((s) => s.rows('CausewayEvidence_CL')),
      },
      partitions,
      config,
    };
  } finally {
    for (const r of running) await r.stop();
  }
}

describe('Kafka host on a real broker', () => {
  const scenarios: [string, () => ScenarioInput[]][] = [
    ['demo', () => demoAttack('aks-demo', BASE)],
    ['compromised-tool', () => compromisedTool('aks-demo', BASE)],
    ['reverse-shell', () => reverseShell('aks-demo', BASE)],
    ['imds-theft', () => imdsTheft('aks-demo', BASE)],
    ['benign-hour', () => benignHour('aks-demo', BASE)],
    ['shuffled-demo', () => shuffledWithDuplicates(demoAttack('aks-demo', BASE))],
  ];

  it.each(scenarios)(
    'golden scenario %s: the same stories through ingest → workload-events → episodes as in process',
    async (name, make) => {
      const inputs = make();
      // These topics reorder a whole scenario (benign-hour spans an hour); a real stream is reordered
      // within seconds. First-seen and profile decisions are taken on arrival, so the learning period
      // covers the scenario, as in the multi-scenario tests below.
      const { tables, config } = await throughKafka(`golden-${name}`, inputs, 1, {
        CAUSEWAY_LEARNING_PERIOD_MINUTES: '90',
      });
      expectSameTables(tables, await reference(config, inputs));
    },
  );

  it('two consumers in one group share the partitions and together write exactly what one consumer writes', async () => {
    // Three attacks within 20 minutes: a real stream is reordered within the allowed lateness (45
    // minutes), and these topics reorder the whole input.
    const inputs = [
      ...demoAttack('aks-demo', BASE),
      ...reverseShell('aks-demo', BASE + 10 * 60_000),
      ...imdsTheft('aks-demo', BASE + 20 * 60_000),
    ];
    // First-seen rules (a tool new for an agent) decide on arrival: across three reordered
    // scenarios an agent's later call can arrive first, so the learning period covers them all.
    const env = { CAUSEWAY_STORY_PARTITIONS: '2', CAUSEWAY_LEARNING_PERIOD_MINUTES: '60' };
    const one = await throughKafka('scale-one', inputs, 1, env);
    const two = await throughKafka('scale-two', inputs, 2, env);
    expect(latestStories(one.tables.stories).size).toBeGreaterThan(2);
    expectSameTables(two.tables, one.tables);
    expectSameTables(one.tables, await reference(one.config, inputs));
    // Both members owned workload partitions, and together all of them.
    expect(two.partitions.every((p) => p.workload.length > 0)).toBe(true);
    expect(two.partitions.flatMap((p) => p.workload).sort()).toEqual(['0', '1', '2', '3']);
  });

  it('a malformed message on an internal topic is dead-lettered and its partition moves on', async () => {
    const config = kafkaConfig(broker.brokers, 'poison');
    await createRawTopics(admin, config);
    const sink = new MemorySink();
    const host = await startKafkaHost(kafka, config, sink, mkdtempSync(join(tmpdir(), 'cw-kafka-state-')));
    try {
      await producer.send({
        topic: config.kafka.topics.workloadEvents,
        messages: [0, 1, 2, 3].flatMap((partition) => [
          { partition, value: 'not json {' },
          { partition, value: JSON.stringify({ key: 'x', event: 'not an event' }) },
        ]),
      });
      await producer.send({
        topic: config.kafka.topics.episodes,
        messages: [{ partition: 0, value: Buffer.from([0xff, 0x00, 0x7b]) }],
      });
      const inputs = demoAttack('aks-demo', BASE);
      await produceInputs(producer, config, inputs);
      await produceFlush(producer, admin, config);
      await waitUntilDrained(admin, config);
      const dead = sink
        .rows('CausewayPipeline_CL')
        .filter((r) => r.RecordType === 'deadletter' && r.ReasonCode === 'malformed-message');
      // One dead letter per reason per batch, counting its records: 2 per workload partition, 1 story.
      expect(dead.reduce((n, d) => n + Number(d.RecordCount ?? 1), 0)).toBe(9);
      expect(dead.length).toBeLessThanOrEqual(9);
      expect(new Set(dead.map((d) => d.Stage))).toEqual(new Set(['workload', 'story']));
      expect(
        dead.every((d) => typeof d.PayloadSha256 === 'string' && d.Partition !== undefined && d.Offset !== undefined),
      ).toBe(true);
      expect(JSON.stringify(dead)).not.toContain('not an event');
      // The stories behind the poison are all there.
      expectSameTables(
        { stories: sink.rows('CausewayStories_CL'), evidence: sink.rows('CausewayEvidence_CL') },
        await reference(config, inputs),
      );
    } finally {
      await host.stop();
    }
  });

  it('serve with brokers set also consumes the raw topics into the local pipeline, committing after the rows are written', async () => {
    const config = kafkaConfig(broker.brokers, 'serve');
    await createRawTopics(admin, config);
    const dir = mkdtempSync(join(tmpdir(), 'cw-kafka-serve-'));
    const configFile = join(dir, 'causeway.json');
    writeFileSync(configFile, JSON.stringify({ kafka: { topics: config.kafka.topics } }));
    const { serve } = await import('../../src/cli/serve.ts');
    const stop = new AbortController();
    let port = 0;
    const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const running = serve({
      configFile,
      flags: {},
      env: {
        CAUSEWAY_KAFKA_BROKERS: broker.brokers.join(','),
        CAUSEWAY_KAFKA_GROUP_PREFIX: config.kafka.groupPrefix,
        CAUSEWAY_DATA_DIR: dir,
        CAUSEWAY_PORT: '0',
        CAUSEWAY_DEMO: 'false',
        CAUSEWAY_CLUSTER: 'aks-demo',
        CAUSEWAY_LOG_LEVEL: 'error',
      },
      signal: stop.signal,
      onListening: (p) => (port = p),
    });
    try {
      const inputs = demoAttack('aks-demo', BASE);
      await produceInputs(producer, config, inputs);
      const topics = [config.kafka.topics.sensors, config.kafka.topics.defender, config.kafka.topics.telemetry];
      await waitFor(
        async () => port > 0 && (await lag(admin, `${config.kafka.groupPrefix}-local`, topics)) === 0,
        60_000,
      );
      const stories = (await (await fetch(`http://127.0.0.1:${port}/api/stories`)).json()) as {
        storyId: string;
        severity: string;
      }[];
      // The demo's story as the in-process pipeline tells it.
      const [demo] = liveStories(await runScenario(inputs));
      expect(stories.map((x) => x.storyId)).toContain(demo!.storyId);
      expect(readTable(join(dir, 'tables'), 'CausewayStories_CL').rows.length).toBeGreaterThan(0);
    } finally {
      stop.abort();
      await running;
      quiet.mockRestore();
    }
  });

  it('failover: after SIGKILL of one consumer process the other takes its partitions, restores their state, and no story or evidence is lost', async () => {
    const config = kafkaConfig(broker.brokers, 'failover', {
      CAUSEWAY_STORY_PARTITIONS: '2',
      CAUSEWAY_LEARNING_PERIOD_MINUTES: '60',
    });
    await createRawTopics(admin, config);
    const configFile = join(mkdtempSync(join(tmpdir(), 'cw-kafka-cfg-')), 'causeway.json');
    const stateDir = mkdtempSync(join(tmpdir(), 'cw-kafka-state-'));
    writeFileSync(configFile, JSON.stringify({ kafka: { topics: config.kafka.topics } }));
    const env = {
      CAUSEWAY_KAFKA_BROKERS: broker.brokers.join(','),
      CAUSEWAY_KAFKA_GROUP_PREFIX: config.kafka.groupPrefix,
      CAUSEWAY_KAFKA_TICK_SECONDS: '0',
      CAUSEWAY_KAFKA_SESSION_TIMEOUT_SECONDS: '6',
      CAUSEWAY_KAFKA_SNAPSHOT_SECONDS: '1',
      CAUSEWAY_STORY_PARTITIONS: '2',
      CAUSEWAY_LEARNING_PERIOD_MINUTES: '60',
      CAUSEWAY_CLUSTER: 'aks-demo',
      CAUSEWAY_STATE_DIR: stateDir,
      CAUSEWAY_LOG_LEVEL: 'warn',
    };
    const dirs = [mkdtempSync(join(tmpdir(), 'cw-kafka-a-')), mkdtempSync(join(tmpdir(), 'cw-kafka-b-'))];
    const procs = dirs.map((dir) => startProcess(configFile, { ...env, CAUSEWAY_DATA_DIR: dir }));
    try {
      await Promise.all(procs.map((p) => p.ready));
      const inputs = [
        ...demoAttack('aks-demo', BASE),
        ...compromisedTool('aks-demo', BASE + 10 * 60_000),
        ...imdsTheft('aks-demo', BASE + 20 * 60_000),
      ];
      const half = Math.floor(inputs.length / 2);
      await produceInputs(producer, config, inputs.slice(0, half));
      // Kill one consumer once both have done some work on the workload stage.
      await waitFor(
        async () =>
          (await lag(admin, `${config.kafka.groupPrefix}-ingest`, [
            config.kafka.topics.sensors,
            config.kafka.topics.defender,
            config.kafka.topics.telemetry,
          ])) < half,
        60_000,
      );
      procs[0]!.child.kill('SIGKILL');
      await produceInputs(producer, config, inputs.slice(half));
      await produceFlush(producer, admin, config);
      await waitUntilDrained(admin, config, 180_000);
      const tables = {
        stories: dirs.flatMap((d) => readTable(join(d, 'tables'), 'CausewayStories_CL').rows),
        evidence: dirs.flatMap((d) => readTable(join(d, 'tables'), 'CausewayEvidence_CL').rows),
      };
      expectSameTables(tables, await reference(config, inputs), { replayed: true });
    } finally {
      for (const p of procs) p.child.kill('SIGKILL');
    }
  });
});

function startProcess(configFile: string, env: Record<string, string>): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, [BIN, 'run', '--config', configFile, '--port', '0'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Causeway is running')) resolve();
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`causeway run exited with ${code}:\n${out}`)));
  });
  return { child, ready };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
