/**
 * The gap between a partition's snapshot and its next trigger batch, read back from the internal
 * hub with the Event Hubs SDK (managed identity), in its own consumer group: the trigger's holds an
 * epoch receiver on the partition, which shuts every other receiver of that group out.
 */
import { EventHubConsumerClient, type ReceivedEventData, type Subscription } from '@azure/event-hubs';
import type { TokenCredential } from '@azure/identity';
import type { GapReader } from '../../pipeline/gapReader.ts';
import type { StageMessage } from '../../pipeline/stageRunner.ts';

const HUBS = { workload: 'workload-events', story: 'episodes' } as const;
/** Events per receive, and how long a receive waits before it counts the partition as read to its end. */
const BATCH = 500;
const WAIT_SECONDS = 5;

export class EventHubsGapReader implements GapReader {
  constructor(
    private readonly namespace: string,
    private readonly consumerGroup: string,
    private readonly credential: TokenCredential,
  ) {}

  async read(stage: 'workload' | 'story', partition: string, from: number, to: number): Promise<StageMessage[]> {
    const client = new EventHubConsumerClient(this.consumerGroup, this.namespace, HUBS[stage], this.credential);
    try {
      return await readRange(client, partition, from, to);
    } finally {
      await client.close();
    }
  }
}

/** Receives from `from` until an event past `to` or an empty wait (the end of what the hub holds). */
function readRange(
  client: EventHubConsumerClient,
  partition: string,
  from: number,
  to: number,
): Promise<StageMessage[]> {
  const out: StageMessage[] = [];
  return new Promise((resolve, reject) => {
    const subscription: { current?: Subscription } = {};
    const finish = (error?: unknown) => {
      void subscription.current?.close().catch(() => undefined);
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve(out);
    };
    subscription.current = client.subscribe(
      partition,
      {
        processEvents: async (events: ReceivedEventData[]) => {
          for (const e of events) if (e.sequenceNumber <= to) out.push({ body: e.body, sequence: e.sequenceNumber });
          if (!events.length || events.at(-1)!.sequenceNumber >= to) finish();
        },
        processError: async (error) => finish(error),
      },
      {
        startPosition: { sequenceNumber: from, isInclusive: true },
        maxBatchSize: BATCH,
        maxWaitTimeInSeconds: WAIT_SECONDS,
      },
    );
  });
}
