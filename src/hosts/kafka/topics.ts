/**
 * Topic creation that waits until every partition has a leader. kafkajs' `waitForLeaders` gives up
 * when the metadata request answers UNKNOWN_TOPIC_OR_PARTITION, which a broker does for a moment
 * after creating a topic (metadata propagates asynchronously, longer on a loaded machine).
 */
import type { Admin, ITopicConfig } from 'kafkajs';

export async function createTopics(admin: Admin, topics: ITopicConfig[], timeoutMs = 60_000): Promise<void> {
  if (!topics.length) return;
  await admin.createTopics({ waitForLeaders: false, topics });
  const names = topics.map((t) => t.topic);
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics: names });
      const ready = meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready && meta.topics.length === names.length) return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) throw new Error(`topics ${names.join(', ')} have no leader after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, delay));
  }
}
