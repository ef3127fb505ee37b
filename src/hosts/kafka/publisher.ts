/**
 * The Publisher contract over Kafka topics: messages keyed by workload or cluster land on the
 * partition the key hashes to (kafkajs' default partitioner, murmur2 like the Java client, so every
 * producer agrees); the broadcast key goes to every partition. Resolves once the brokers
 * acknowledged every message (acks from all in-sync replicas). No compression: Event Hubs' Kafka
 * endpoint does not take it.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Producer } from 'kafkajs';
import { RetryableError } from '../../errors.ts';
import { sizedBatches } from '../../common/sizedBatches.ts';
import { BROADCAST } from '../../model/episode.ts';
import type { InternalHub, KeyedMessage, Publisher, PublishResult } from '../../pipeline/publisher.ts';

export type InternalTopics = Record<InternalHub, string>;

/**
 * The largest record a broker takes by default (`message.max.bytes`, 1048588 bytes in Apache Kafka;
 * Event Hubs' Kafka endpoint allows 1 MB per event), less room for the record's key and headers.
 */
export const MAX_MESSAGE_BYTES = 1_000_000;

export class KafkaPublisher implements Publisher {
  private readonly partitionCounts = new Map<string, number>();

  constructor(
    private readonly producer: Producer,
    private readonly admin: Admin,
    private readonly topics: InternalTopics,
  ) {}

  async publish(hub: InternalHub, messages: readonly KeyedMessage[]): Promise<PublishResult> {
    const result: PublishResult = { tooLarge: [] };
    if (!messages.length) return result;
    const topic = this.topics[hub];
    try {
      const out: { key: string; value: string; partition?: number }[] = [];
      for (const m of messages) {
        const value = JSON.stringify(m.body);
        const sizeBytes = Buffer.byteLength(value);
        if (sizeBytes > MAX_MESSAGE_BYTES) {
          result.tooLarge.push({ message: m, sizeBytes, limitBytes: MAX_MESSAGE_BYTES });
          continue;
        }
        if (m.key !== BROADCAST) out.push({ key: m.key, value });
        else for (let p = 0; p < (await this.partitions(topic)); p++) out.push({ key: BROADCAST, value, partition: p });
      }
      // One request per ~512 KB: kafkajs writes one record batch per partition per request, and
      // brokers (1 MB message.max.bytes by default) and Event Hubs (1 MB) refuse bigger batches.
      for (const chunk of chunks(out)) await this.producer.send({ topic, messages: chunk, acks: -1 });
      return result;
    } catch (e) {
      const retriable = (e as { retriable?: boolean }).retriable !== false;
      const message = `publishing to ${topic} failed: ${(e as Error).message}`;
      throw retriable
        ? new RetryableError(message, 'sink-unavailable', { cause: e })
        : new Error(message, { cause: e });
    }
  }

  private async partitions(topic: string): Promise<number> {
    let n = this.partitionCounts.get(topic);
    if (n === undefined) {
      const meta = await this.admin.fetchTopicMetadata({ topics: [topic] });
      n = meta.topics[0]?.partitions.length ?? 1;
      this.partitionCounts.set(topic, n);
    }
    return n;
  }
}

const MAX_REQUEST_BYTES = 512 * 1024;

export function chunks<T extends { value: string | Buffer }>(messages: T[], maxBytes = MAX_REQUEST_BYTES): T[][] {
  return sizedBatches(messages, (m) => Buffer.byteLength(m.value) + 64, maxBytes);
}

/**
 * One end-of-input marker on every partition of the given topics, all with the same id and the
 * count, so each workload partition flushes only after the last input partition's marker.
 * Returns how many partitions got one.
 */
export async function flushMarkers(admin: Admin, producer: Producer, topics: string[]): Promise<number> {
  const meta = await admin.fetchTopicMetadata({ topics });
  const of = meta.topics.reduce((n, t) => n + t.partitions.length, 0);
  const value = JSON.stringify({ control: 'flush', id: randomUUID(), of });
  for (const t of meta.topics)
    await producer.send({
      topic: t.name,
      acks: -1,
      messages: t.partitions.map((p) => ({ partition: p.partitionId, value })),
    });
  return of;
}
