/**
 * Publishes between stages on the internal hubs: events keyed by workload to `workload-events`,
 * episodes keyed by cluster to `episodes`, broadcast (key `*`) to every partition. The Event Hubs
 * producer (identity-based) in Azure; anything with the same contract in tests.
 */
import type { EventHubProducerClient } from '@azure/event-hubs';
import { RetryableError } from '../errors.ts';
import { BROADCAST } from '../model/episode.ts';

export interface KeyedMessage {
  key: string;
  body: unknown;
}

export interface Publisher {
  /** Resolves once the hub acknowledged every message; rejects with a RetryableError otherwise. */
  publish(hub: 'workload-events' | 'episodes', messages: readonly KeyedMessage[]): Promise<void>;
}

export class EventHubsPublisher implements Publisher {
  constructor(private readonly producers: Record<'workload-events' | 'episodes', EventHubProducerClient>) {}

  async publish(hub: 'workload-events' | 'episodes', messages: readonly KeyedMessage[]): Promise<void> {
    if (!messages.length) return;
    const producer = this.producers[hub];
    try {
      const byKey = new Map<string, unknown[]>();
      for (const m of messages) byKey.set(m.key, [...(byKey.get(m.key) ?? []), m.body]);
      for (const [key, bodies] of byKey) {
        const targets =
          key === BROADCAST
            ? (await producer.getPartitionIds()).map((partitionId) => ({ partitionId }))
            : [{ partitionKey: key }];
        for (const target of targets) await this.sendAll(producer, bodies, target);
      }
    } catch (e) {
      throw new RetryableError(`publishing to ${hub} failed: ${(e as Error).message}`, 'sink-unavailable', {
        cause: e,
      });
    }
  }

  /** Fills as many batches as needed (1 MB each on Standard) for one partition key or partition. */
  private async sendAll(
    producer: EventHubProducerClient,
    bodies: unknown[],
    target: { partitionKey?: string; partitionId?: string },
  ): Promise<void> {
    let batch = await producer.createBatch(target);
    for (const body of bodies) {
      if (batch.tryAdd({ body })) continue;
      if (batch.count === 0) throw new Error('a single message is larger than the Event Hubs batch limit');
      await producer.sendBatch(batch);
      batch = await producer.createBatch(target);
      if (!batch.tryAdd({ body })) throw new Error('a single message is larger than the Event Hubs batch limit');
    }
    if (batch.count) await producer.sendBatch(batch);
  }
}
