/**
 * An in-memory stand-in for the internal Event Hubs (there is no Event Hubs emulator without
 * Docker): partitioned by key like Event Hubs, broadcast to every partition, sequence numbers
 * per partition, batches handed out with the trigger metadata the Functions extension gives.
 */
import { BROADCAST } from '../../src/model/episode.ts';
import { partitionOf } from '../../src/ingest/route.ts';
import type { TriggerMetadata } from '../../src/hosts/functions/trigger.ts';
import type { GapReader } from '../../src/pipeline/gapReader.ts';
import type { StageMessage } from '../../src/pipeline/stageRunner.ts';
import { PUBLISHED_ALL, type KeyedMessage, type Publisher, type PublishResult } from '../../src/pipeline/publisher.ts';

type Hub = 'workload-events' | 'episodes';

export class MemoryHubs implements Publisher, GapReader {
  readonly partitions: Record<Hub, { sequence: number; body: Buffer; key: string }[][]>;
  private readonly next: Record<Hub, number[]>;
  failNext = 0;

  constructor(readonly count = 4) {
    this.partitions = {
      'workload-events': Array.from({ length: count }, () => []),
      episodes: Array.from({ length: count }, () => []),
    };
    this.next = { 'workload-events': Array(count).fill(0), episodes: Array(count).fill(0) };
  }

  async publish(hub: Hub, messages: readonly KeyedMessage[]): Promise<PublishResult> {
    if (this.failNext > 0) {
      this.failNext--;
      throw Object.assign(new Error('ServerBusy'), { name: 'RetryableError' });
    }
    for (const m of messages) {
      const targets = m.key === BROADCAST ? [...Array(this.count).keys()] : [partitionOf(m.key, this.count)];
      for (const p of targets)
        this.partitions[hub][p]!.push({
          sequence: this.next[hub][p]!++,
          body: Buffer.from(JSON.stringify(m.body)),
          key: m.key,
        });
    }
    return PUBLISHED_ALL;
  }

  /** What the hub still holds of a partition, `from`..`to` (it keeps everything: retention is days). */
  async read(stage: 'workload' | 'story', partition: string, from: number, to: number): Promise<StageMessage[]> {
    const hub: Hub = stage === 'story' ? 'episodes' : 'workload-events';
    this.reads.push({ hub, partition: Number(partition), from, to });
    return this.partitions[hub][Number(partition)]!.filter((x) => x.sequence >= from && x.sequence <= to).map((x) => ({
      body: x.body,
      sequence: x.sequence,
    }));
  }

  /** The gaps read back, in order. */
  readonly reads: { hub: Hub; partition: number; from: number; to: number }[] = [];

  /** The next batch of a partition after `after`, with Event Hubs trigger metadata. */
  batch(
    hub: Hub,
    partition: number,
    after: number,
    max: number,
  ): { messages: Buffer[]; meta: TriggerMetadata } | undefined {
    const items = this.partitions[hub][partition]!.filter((x) => x.sequence > after).slice(0, max);
    if (!items.length) return undefined;
    return {
      messages: items.map((x) => x.body),
      meta: {
        partitionContext: {
          partitionId: String(partition),
          eventHubName: hub,
          consumerGroup: hub === 'episodes' ? 'causeway-story' : 'causeway-workload',
          fullyQualifiedNamespace: 'causeway-test.servicebus.windows.net',
        },
        sequenceNumberArray: items.map((x) => x.sequence),
        offsetArray: items.map((x) => String(x.sequence * 1024)),
        enqueuedTimeUtcArray: items.map(() => new Date().toISOString().replace('Z', '')),
        partitionKeyArray: items.map((x) => (x.key === BROADCAST ? null : x.key)),
      },
    };
  }
}
