/**
 * Kafka as an input of the local one-process host (`causeway serve` with kafka.brokers set): the
 * raw topics consumed by the group `<prefix>-local` into the in-process pipeline; an offset is
 * committed once the batch's rows are written. State stays in the process (snapshotted on close);
 * for failover across processes run the stages with `causeway run`.
 */
import type { Consumer, Kafka } from 'kafkajs';
import type { CausewayConfig } from '../../config/config.ts';
import type { InputBody } from '../../pipeline/inProcess.ts';
import type { Logger } from '../../telemetry/log.ts';
import type { LocalHost } from '../local/localHost.ts';
import { rawTopics } from './kafkaHost.ts';

export class KafkaInput {
  private consumer: Consumer | undefined;

  constructor(private readonly options: { kafka: Kafka; config: CausewayConfig; host: LocalHost; logger: Logger }) {}

  async start(): Promise<void> {
    const { kafka, config, host } = this.options;
    const topics = rawTopics(config);
    const consumer = kafka.consumer({ groupId: `${config.kafka.groupPrefix}-local`, maxWaitTimeInMs: 250 });
    await consumer.connect();
    await consumer.subscribe({ topics: topics.map((t) => t.topic), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!batch.messages.length || !isRunning() || isStale()) return;
        const accept = topics.find((t) => t.topic === batch.topic)?.accept;
        const inputs: InputBody[] = batch.messages.map((m) => ({
          body: m.value ?? Buffer.alloc(0),
          input: batch.topic,
          accept,
        }));
        await host.submit(inputs);
        const last = batch.messages.at(-1)!.offset;
        resolveOffset(last);
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
        ]);
        await heartbeat();
      },
    });
    this.consumer = consumer;
    this.options.logger.event('info', 'kafka.input-started', {
      topics: topics.map((t) => t.topic),
      group: `${config.kafka.groupPrefix}-local`,
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}
