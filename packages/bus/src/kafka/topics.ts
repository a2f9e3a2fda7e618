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
    waitForLeaders: true,
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
  return missing.map((spec) => spec.topic);
}
