/**
 * How a stage hands its output to the next: events keyed by workload to `workload-events`,
 * episodes keyed by cluster to `episodes`, broadcast (key `*`) to every partition. Event Hubs
 * producers in Azure, Kafka topics, or the in-process bus.
 */

/** The internal hubs (Event Hubs) or topics (Kafka) between the stages. */
export type InternalHub = 'workload-events' | 'episodes';

export interface KeyedMessage {
  key: string;
  body: unknown;
}

export interface PublishResult {
  /**
   * Messages the transport can never carry (larger than its message limit), with their size and
   * the limit: a permanent failure, dead-lettered by the runner, never retried.
   */
  tooLarge: { message: KeyedMessage; sizeBytes: number; limitBytes: number }[];
}

export interface Publisher {
  /** Resolves once the transport acknowledged every other message; rejects with a RetryableError otherwise. */
  publish(hub: InternalHub, messages: readonly KeyedMessage[]): Promise<PublishResult>;
}

export const PUBLISHED_ALL: PublishResult = Object.freeze({ tooLarge: [] }) as PublishResult;
