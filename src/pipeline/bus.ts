/**
 * The in-process stand-in for the internal hubs: keyed messages land on the partition their key
 * hashes to (as Event Hubs partition keys and Kafka's partitioner do), `*` on every partition.
 * Bodies pass by reference: nothing is serialised between stages in one process.
 */
import { partitionOf } from '../ingest/route.ts';
import { BROADCAST, type KeyedEvent } from '../model/episode.ts';
import { isKeyedEvent } from './stageMessages.ts';
import { PUBLISHED_ALL, type InternalHub, type KeyedMessage, type Publisher, type PublishResult } from './publisher.ts';

export class InProcessBus implements Publisher {
  private readonly queues: Record<InternalHub, unknown[][]>;

  constructor(
    readonly partitions: Record<InternalHub, number>,
    /** Sees every keyed event published to `workload-events` (control messages aside). */
    private readonly observe?: (events: readonly KeyedEvent[]) => void,
  ) {
    this.queues = {
      'workload-events': Array.from({ length: partitions['workload-events'] }, () => []),
      episodes: Array.from({ length: partitions.episodes }, () => []),
    };
  }

  async publish(hub: InternalHub, messages: readonly KeyedMessage[]): Promise<PublishResult> {
    const queues = this.queues[hub];
    if (this.observe && hub === 'workload-events') {
      const events = messages.map((m) => m.body).filter((b): b is KeyedEvent => isKeyedEvent(b));
      if (events.length) this.observe(events);
    }
    for (const m of messages) {
      if (m.key === BROADCAST) for (const q of queues) q.push(m.body);
      else queues[partitionOf(m.key, queues.length)]!.push(m.body);
    }
    return PUBLISHED_ALL;
  }

  /** Takes everything waiting on one partition of a hub, in order. */
  drain(hub: InternalHub, partition: number): unknown[] {
    const queues = this.queues[hub];
    const q = queues[partition]!;
    queues[partition] = [];
    return q;
  }

  pending(hub: InternalHub): number {
    return this.queues[hub].reduce((n, q) => n + q.length, 0);
  }
}
