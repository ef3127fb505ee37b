/**
 * Publishes between stages on the internal hubs: events keyed by workload to `workload-events`,
 * episodes keyed by cluster to `episodes`, broadcast (key `*`) to every partition. The Event Hubs
 * producer (identity-based) in Azure; anything with the same contract in tests.
 */
import type { EventHubProducerClient } from '@azure/event-hubs';
import { RetryableError } from '../../errors.ts';
import { BROADCAST } from '../../model/episode.ts';
import type { InternalHub, KeyedMessage, Publisher, PublishResult } from '../../pipeline/publisher.ts';

export class EventHubsPublisher implements Publisher {
  constructor(private readonly producers: Record<InternalHub, EventHubProducerClient>) {}

  async publish(hub: InternalHub, messages: readonly KeyedMessage[]): Promise<PublishResult> {
    const result: PublishResult = { tooLarge: [] };
    if (!messages.length) return result;
    const producer = this.producers[hub];
    try {
      const byKey = new Map<string, KeyedMessage[]>();
      for (const m of messages) {
        const list = byKey.get(m.key);
        if (list) list.push(m);
        else byKey.set(m.key, [m]);
      }
      for (const [key, list] of byKey) {
        const targets =
          key === BROADCAST
            ? (await producer.getPartitionIds()).map((partitionId) => ({ partitionId }))
            : [{ partitionKey: key }];
        for (const [i, target] of targets.entries()) {
          const tooLarge = await this.sendAll(producer, list, target);
          // A broadcast message too large for one partition is too large for all: report it once.
          if (i === 0) result.tooLarge.push(...tooLarge);
        }
      }
      return result;
    } catch (e) {
      throw new RetryableError(`publishing to ${hub} failed: ${(e as Error).message}`, 'sink-unavailable', {
        cause: e,
      });
    }
  }

  /**
   * Fills as many batches as needed (1 MB each on Standard) for one partition key or partition. A
   * message that does not fit an empty batch never will: it is returned, not retried.
   */
  private async sendAll(
    producer: EventHubProducerClient,
    messages: readonly KeyedMessage[],
    target: { partitionKey?: string; partitionId?: string },
  ): Promise<PublishResult['tooLarge']> {
    const tooLarge: PublishResult['tooLarge'] = [];
    let batch = await producer.createBatch(target);
    for (const m of messages) {
      if (batch.tryAdd({ body: m.body })) continue;
      if (batch.count > 0) {
        await producer.sendBatch(batch);
        batch = await producer.createBatch(target);
        if (batch.tryAdd({ body: m.body })) continue;
      }
      const sizeBytes = Buffer.byteLength(JSON.stringify(m.body) ?? '');
      tooLarge.push({ message: m, sizeBytes, limitBytes: batch.maxSizeInBytes });
    }
    if (batch.count) await producer.sendBatch(batch);
    return tooLarge;
  }
}
