import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  partitions: number;
  replicationFactor: number;
}

/**
 * Creates the topics that do not exist yet. Several processes may race to create them; the
 * loser finds them existing, which is fine. Existing topics are never changed.
 */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.topic));
  if (missing.length === 0) return [];
  await admin.createTopics({
    // kafkajs waits for leaders by asking for metadata, and gives up on the first "unknown
    // topic" a KRaft broker answers while the new topic spreads; waitForLeaders below does not.
    waitForLeaders: false,
    topics: missing.map((spec) => ({
      topic: spec.topic,
      numPartitions: spec.partitions,
      replicationFactor: spec.replicationFactor,
      // acks=all waits for every in-sync replica; with fewer than two of them left, a
      // write would rest on a single disk, so refuse it (when there are replicas to spare).
      configEntries:
        spec.replicationFactor >= 3 ? [{ name: 'min.insync.replicas', value: '2' }] : [],
    })),
  });
  await waitForLeaders(
    admin,
    missing.map((spec) => spec.topic),
  );
  return missing.map((spec) => spec.topic);
}

/** How long a topic just created may take to have a leader for each partition. */
const LEADERS_WAIT_MS = 30_000;

/**
 * Waits until every partition of the topics has a leader, so that the first publish or
 * subscribe does not meet "This server does not host this topic-partition".
 */
export async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  const deadline = performance.now() + LEADERS_WAIT_MS;
  let last: unknown;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      const ready = metadata.topics.every(
        (topic) =>
          topic.partitions.length > 0 &&
          topic.partitions.every((partition) => partition.leader >= 0),
      );
      if (ready) return;
      last = new Error('some partitions have no leader yet');
    } catch (error) {
      last = error;
    }
    if (performance.now() > deadline) {
      throw new Error(
        `topics ${topics.join(', ')} have no leader after ${LEADERS_WAIT_MS} ms: ${String(last)}`,
      );
    }
    await sleep(100);
  }
}
