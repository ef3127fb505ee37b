/**
 * The Kafka host (DESIGN §2, host 2): each stage a consumer group over its topics, against Apache
 * Kafka or Event Hubs' Kafka endpoint. Stage ① (`<prefix>-ingest`) reads the raw topics and
 * publishes keyed by workload; stage ② (`<prefix>-workload`) reads `workload-events`; stage ③
 * (`<prefix>-story`) reads `episodes` and writes rows. One process may run any subset of stages.
 *
 * Per batch: process → deliver (produce acknowledged, rows accepted); the partition's state is
 * snapshotted when the partition has caught up or every kafka.snapshotSeconds under a backlog, and
 * the committed offset never passes the snapshot, so a new owner restores it and replays the rest
 * (outputs repeat only as identical ids). A retryable failure throws, kafkajs retries the batch with
 * backoff; a malformed message is dead-lettered and committed past. On a rebalance, stages of
 * partitions no longer assigned are dropped, and a partition that arrives is restored from its
 * snapshot on its first batch. A clean stop pauses, lets running batches finish, snapshots and
 * commits everything, then leaves the groups.
 */
import type { Admin, Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { CausewayConfig } from '../../config/config.ts';
import { ConfigError } from '../../errors.ts';
import { CLOUD_AUDIT_SOURCES, type SourceName } from '../../sources/registry.ts';
import type { Logger } from '../../telemetry/log.ts';
import { createTopics } from './topics.ts';
import { healthReport, type HealthReport } from '../../pipeline/health.ts';
import type { StageName, StageRunner } from '../../pipeline/stageRunner.ts';

/** The raw topics and the products each may carry (as the Functions ingest triggers). */
export function rawTopics(config: CausewayConfig): { topic: string; accept: SourceName[] }[] {
  const t = config.kafka.topics;
  return [
    { topic: t.sensors, accept: ['tetragon', 'kubescape', 'falco', 'tracee'] },
    { topic: t.defender, accept: ['defender'] },
    { topic: t.telemetry, accept: ['otel', 'toolhive'] },
    { topic: t.cloudAudit, accept: [...CLOUD_AUDIT_SOURCES] },
  ];
}

export interface KafkaHostOptions {
  kafka: Kafka;
  producer: Producer;
  admin: Admin;
  config: CausewayConfig;
  stages: readonly StageName[];
  runtime: StageRunner;
  logger: Logger;
}

export class KafkaHost {
  private readonly consumers = new Map<StageName, Consumer>();
  private ticker: NodeJS.Timeout | undefined;
  private saver: NodeJS.Timeout | undefined;
  private inFlight = 0;
  /** Last committed offset per stage/partition, to commit only when it moves. */
  private readonly committed = new Map<string, number>();
  readonly counters = { batches: 0, messages: 0, committed: 0, rebalances: 0 };

  constructor(private readonly options: KafkaHostOptions) {}

  async start(): Promise<void> {
    const { config, stages, logger } = this.options;
    await this.ensureTopics();
    for (const stage of stages) {
      const consumer = this.options.kafka.consumer({
        groupId: `${config.kafka.groupPrefix}-${stage}`,
        sessionTimeout: config.kafka.sessionTimeoutSeconds * 1000,
        heartbeatInterval: Math.min(3_000, (config.kafka.sessionTimeoutSeconds * 1000) / 3),
        rebalanceTimeout: 60_000,
        maxWaitTimeInMs: 250,
        retry: { retries: 8, initialRetryTime: 300 },
      });
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        this.counters.rebalances++;
        const assigned = Object.values(e.payload.memberAssignment).flat().map(String);
        if (stage !== 'ingest') {
          this.options.runtime.owner.release(stage, assigned);
          for (const key of [...this.committed.keys()])
            if (key.startsWith(`${stage}/`) && !assigned.includes(key.slice(stage.length + 1)))
              this.committed.delete(key);
        }
        logger.event('info', 'kafka.assigned', {
          stage,
          group: e.payload.groupId,
          partitions: e.payload.memberAssignment,
        });
      });
      consumer.on(consumer.events.CRASH, (e) =>
        logger.event('error', 'kafka.consumer-crashed', {
          stage,
          error: e.payload.error.message,
          restart: e.payload.restart,
        }),
      );
      await consumer.connect();
      await consumer.subscribe({ topics: this.topicsOf(stage), fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.batch(stage, consumer, payload),
      });
      this.consumers.set(stage, consumer);
    }
    // Quiet partitions: snapshot what the last batches left unsaved, then commit up to it.
    const snapshotMs = config.kafka.snapshotSeconds * 1000;
    if (snapshotMs > 0 && (stages.includes('workload') || stages.includes('story'))) {
      this.saver = setInterval(
        () =>
          void this.saveAndCommit().catch((e: Error) =>
            logger.event('warn', 'kafka.snapshot-failed', { error: e.message }),
          ),
        snapshotMs,
      );
      this.saver.unref();
    }
    const tickMs = config.kafka.tickSeconds * 1000;
    if (stages.includes('story') && tickMs > 0) {
      this.ticker = setInterval(
        () =>
          void this.options.runtime
            .tick()
            .catch((e: Error) => logger.event('warn', 'kafka.tick-failed', { error: e.message })),
        tickMs,
      );
      this.ticker.unref();
    }
    logger.event('info', 'kafka.started', { stages, groups: stages.map((s) => `${config.kafka.groupPrefix}-${s}`) });
  }

  /** Pauses, lets running batches finish, snapshots and commits every partition, leaves the groups. */
  async stop(): Promise<void> {
    clearInterval(this.ticker);
    clearInterval(this.saver);
    for (const [stage, consumer] of this.consumers) consumer.pause(this.topicsOf(stage).map((topic) => ({ topic })));
    while (this.inFlight) await new Promise((r) => setTimeout(r, 20));
    await this.saveAndCommit();
    for (const consumer of this.consumers.values()) await consumer.disconnect();
    this.consumers.clear();
    await this.options.producer.disconnect();
    await this.options.admin.disconnect();
  }

  health(): HealthReport {
    return healthReport(this.options.runtime, { transport: { stages: this.options.stages, ...this.counters } });
  }

  private async batch(
    stage: StageName,
    consumer: Consumer,
    { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload,
  ): Promise<void> {
    if (!batch.messages.length || !isRunning() || isStale()) return;
    this.inFlight++;
    try {
      const last = batch.messages.at(-1)!.offset;
      await this.options.runtime.run({
        stage,
        partition: String(batch.partition),
        source: batch.topic,
        accept:
          stage === 'ingest' ? rawTopics(this.options.config).find((t) => t.topic === batch.topic)?.accept : undefined,
        messages: batch.messages.map((m) => ({ body: m.value ?? Buffer.alloc(0), sequence: Number(m.offset) })),
      });
      if (stage === 'ingest') {
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
        ]);
      } else {
        await this.commitSaved(consumer, stage, batch.topic, batch.partition);
      }
      resolveOffset(last);
      await heartbeat();
      this.counters.batches++;
      this.counters.messages += batch.messages.length;
    } finally {
      this.inFlight--;
    }
  }

  /** Snapshots every partition with unsaved progress (none mid-batch) and commits up to it. */
  private async saveAndCommit(): Promise<void> {
    await this.options.runtime.snapshotAll();
    for (const [stage, consumer] of this.consumers) {
      if (stage === 'ingest') continue;
      const topic = this.topicsOf(stage)[0]!;
      for (const partition of this.options.runtime.owner.partitions(stage))
        await this.commitSaved(consumer, stage, topic, Number(partition));
    }
  }

  /** Commits up to what the partition's saved snapshot covers, when that moved. */
  private async commitSaved(
    consumer: Consumer,
    stage: 'workload' | 'story',
    topic: string,
    partition: number,
  ): Promise<void> {
    const saved = this.options.runtime.owner.committable(stage, String(partition));
    const key = `${stage}/${partition}`;
    if (saved === undefined || saved <= (this.committed.get(key) ?? -1)) return;
    await consumer.commitOffsets([{ topic, partition, offset: String(saved + 1) }]);
    this.committed.set(key, saved);
    this.counters.committed++;
  }

  private topicsOf(stage: StageName): string[] {
    const t = this.options.config.kafka.topics;
    return stage === 'ingest'
      ? rawTopics(this.options.config).map((r) => r.topic)
      : [stage === 'workload' ? t.workloadEvents : t.episodes];
  }

  /**
   * Creates missing topics when allowed (Apache Kafka), otherwise names the missing ones (Event
   * Hubs: the hubs come from infra/main.bicep). The episodes topic's partition count must match
   * correlation.storyPartitions: a story made only of broadcast episodes is owned by one of them.
   */
  private async ensureTopics(): Promise<void> {
    const { config, admin, stages } = this.options;
    const k = config.kafka;
    const wanted = new Map<string, number>();
    for (const s of stages)
      for (const topic of this.topicsOf(s))
        wanted.set(
          topic,
          topic === k.topics.episodes ? config.correlation.storyPartitions : config.correlation.workloadPartitions,
        );
    if (stages.includes('ingest')) wanted.set(k.topics.workloadEvents, config.correlation.workloadPartitions);
    if (stages.includes('ingest') || stages.includes('workload'))
      wanted.set(k.topics.episodes, config.correlation.storyPartitions);
    const existing = new Set(await admin.listTopics());
    const missing = [...wanted.keys()].filter((t) => !existing.has(t));
    if (missing.length && !k.createTopics) {
      throw new ConfigError(
        missing.map((t) => ({
          setting: 'kafka.topics',
          problem: `topic ${t} does not exist`,
          fix: 'create it (infra/main.bicep creates the Event Hubs), or set kafka.createTopics true for Apache Kafka',
        })),
      );
    }
    await createTopics(
      admin,
      missing.map((topic) => ({ topic, numPartitions: wanted.get(topic)!, replicationFactor: -1 })),
    );
    if (wanted.has(k.topics.episodes)) {
      const meta = await admin.fetchTopicMetadata({ topics: [k.topics.episodes] });
      const n = meta.topics[0]?.partitions.length ?? 0;
      if (n !== config.correlation.storyPartitions) {
        throw new ConfigError([
          {
            setting: 'correlation.storyPartitions (CAUSEWAY_STORY_PARTITIONS)',
            problem: `is ${config.correlation.storyPartitions} but topic ${k.topics.episodes} has ${n} partitions`,
            fix: `set CAUSEWAY_STORY_PARTITIONS=${n}`,
          },
        ]);
      }
    }
  }
}
