/**
 * Helpers for running Causeway on a real broker in tests and the bench: per-run topic names and
 * groups, producing a scenario onto the raw topics as sensors do (unkeyed, spread over
 * partitions), the end-of-input marker, waiting until every group has committed everything, and
 * the in-process host on kafkajs.
 */
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import type { CausewayConfig } from '../../src/config/config.ts';
import { rawTopics } from '../../src/hosts/kafka/kafkaHost.ts';
import { connectClients, startKafkaStages, type KafkaStages } from '../../src/hosts/kafka/kafkaStages.ts';
import { chunks, flushMarkers } from '../../src/hosts/kafka/publisher.ts';
import { createTopics } from '../../src/hosts/kafka/topics.ts';
import { FileStateStore } from '../../src/hosts/fileStateStore.ts';
import { STAGES, type StageName } from '../../src/pipeline/stageRunner.ts';
import type { Sink } from '../../src/sinks/sink.ts';
import { silentLogger } from '../../src/telemetry/log.ts';
import { signals, testConfig } from './pipeline.ts';

/** Which raw topic carries each scenario input. */
const TOPIC_OF: Record<string, keyof CausewayConfig['kafka']['topics']> = {
  tetragon: 'sensors',
  kubescape: 'sensors',
  falco: 'sensors',
  tracee: 'sensors',
  defender: 'defender',
  otlp: 'telemetry',
  toolhive: 'telemetry',
};

/** A configuration with its own topics and groups, so runs on one broker never meet. */
export function kafkaConfig(brokers: string[], name: string, env: Record<string, string> = {}): CausewayConfig {
  const config = testConfig({
    CAUSEWAY_KAFKA_BROKERS: brokers.join(','),
    CAUSEWAY_KAFKA_TICK_SECONDS: '0',
    CAUSEWAY_KAFKA_GROUP_PREFIX: `cw-${name}`,
    CAUSEWAY_KAFKA_SESSION_TIMEOUT_SECONDS: '6',
    CAUSEWAY_KAFKA_SNAPSHOT_SECONDS: '1',
    ...env,
  });
  config.kafka.topics = {
    sensors: `${name}.sensors`,
    defender: `${name}.defender`,
    telemetry: `${name}.telemetry`,
    cloudAudit: `${name}.cloud-audit`,
    workloadEvents: `${name}.workload-events`,
    episodes: `${name}.episodes`,
  };
  return config;
}

export function kafkaOf(brokers: string[], clientId = 'causeway-test'): Kafka {
  return new Kafka({ brokers, clientId, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } });
}

export async function createRawTopics(admin: Admin, config: CausewayConfig, partitions = 4): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const topics = rawTopics(config)
    .map((t) => t.topic)
    .filter((t) => !existing.has(t));
  await createTopics(
    admin,
    topics.map((topic) => ({ topic, numPartitions: partitions })),
  );
}

/** Sends each input as one message to its raw topic, unkeyed (round-robin), in order. */
export async function produceInputs(
  producer: Producer,
  config: CausewayConfig,
  inputs: readonly { input: string; body: string | Buffer }[],
): Promise<void> {
  const byTopic = new Map<string, { value: string | Buffer }[]>();
  for (const i of inputs) {
    const topic = config.kafka.topics[TOPIC_OF[i.input] ?? 'sensors'];
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), { value: i.body }]);
  }
  for (const [topic, messages] of byTopic)
    for (const chunk of chunks(messages)) await producer.send({ topic, acks: -1, messages: chunk });
}

/** The end-of-input marker on every partition of every raw topic (what `causeway flush` sends). */
export async function produceFlush(producer: Producer, admin: Admin, config: CausewayConfig): Promise<void> {
  await flushMarkers(
    admin,
    producer,
    rawTopics(config).map((t) => t.topic),
  );
}

/** Unconsumed messages per group: high watermark minus committed offset, summed over partitions. */
export async function lag(admin: Admin, groupId: string, topics: string[]): Promise<number> {
  let total = 0;
  const committed = await admin.fetchOffsets({ groupId, topics });
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    const done = new Map(
      (committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
    );
    for (const e of ends) total += Math.max(0, Number(e.high) - Math.max(Number(e.low), done.get(e.partition) ?? -1));
  }
  return total;
}

/**
 * Waits until ingest, then workload, then story have committed everything, checked in that order
 * in one pass: each stage publishes before it commits, so nothing can still be on its way.
 */
export async function waitUntilDrained(admin: Admin, config: CausewayConfig, timeoutMs = 120_000): Promise<void> {
  const t = config.kafka.topics;
  const groups: [StageName, string[]][] = [
    ['ingest', rawTopics(config).map((r) => r.topic)],
    ['workload', [t.workloadEvents]],
    ['story', [t.episodes]],
  ];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lags: string[] = [];
    for (const [stage, topics] of groups) {
      const n = await lag(admin, `${config.kafka.groupPrefix}-${stage}`, topics);
      if (n) lags.push(`${stage} ${n}`);
      if (n) break;
    }
    if (!lags.length) return;
    if (Date.now() > deadline)
      throw new Error(`consumer groups did not drain within ${timeoutMs / 1000} s: lag ${lags.join(', ')}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export type InProcessKafkaHost = KafkaStages;

let hosts = 0;

/** One Causeway process's Kafka host, in this process. */
export async function startKafkaHost(
  kafka: Kafka,
  config: CausewayConfig,
  sink: Sink,
  stateDir: string,
  stages: readonly StageName[] = STAGES,
): Promise<InProcessKafkaHost> {
  return startKafkaStages(kafka, await connectClients(kafka), stages, {
    config,
    signals: signals(),
    sink,
    state: new FileStateStore(stateDir),
    logger: silentLogger,
    clock: Date.now,
    host: `kafka-test-${++hosts}`,
  });
}
