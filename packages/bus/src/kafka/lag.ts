import type { Admin } from 'kafkajs';
import type { Metrics } from '@rapport/observability';

/**
 * Consumer lag per partition, read from the brokers: the newest offset minus the group's
 * committed one. Read on a timer, so that what arrived after a batch was fetched counts, and
 * a paused or stalled partition shows its growing lag.
 */
export async function refreshConsumerLag(options: {
  admin: Admin;
  groupId: string;
  topic: string;
  metrics: Metrics;
}): Promise<void> {
  const { admin, groupId, topic, metrics } = options;
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const committedBy = new Map(
    (committed?.partitions ?? []).map((entry) => [entry.partition, entry.offset]),
  );
  for (const end of ends) {
    const offset = committedBy.get(end.partition);
    // No commit yet: the group starts from the earliest offset still kept.
    const from = offset === undefined || BigInt(offset) < 0n ? BigInt(end.low) : BigInt(offset);
    const lag = BigInt(end.high) - from;
    metrics.busConsumerLag.set(
      { topic, partition: String(end.partition) },
      Number(lag > 0n ? lag : 0n),
    );
  }
}
