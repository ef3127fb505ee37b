/**
 * The in-process partitioned bus (the local host's stand-in for the internal hubs/topics): keyed
 * items land on the partition their key hashes to; `*` broadcasts to every partition.
 */
import { BROADCAST } from '../model/episode.ts';
import { partitionOf } from '../ingest/route.ts';

export class PartitionedBus<T extends { key: string }> {
  private readonly queues: T[][];

  constructor(readonly partitions: number) {
    this.queues = Array.from({ length: partitions }, () => []);
  }

  publish(items: readonly T[]): void {
    for (const item of items) {
      if (item.key === BROADCAST) for (const q of this.queues) q.push(item);
      else this.queues[partitionOf(item.key, this.partitions)]!.push(item);
    }
  }

  drain(partition: number): T[] {
    const q = this.queues[partition]!;
    this.queues[partition] = [];
    return q;
  }

  get pending(): number {
    return this.queues.reduce((n, q) => n + q.length, 0);
  }
}
