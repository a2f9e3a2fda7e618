import { Kafka, logLevel, type Admin } from 'kafkajs';

/**
 * Consumer lag read from the broker: for each partition, its end offset minus the group's
 * committed offset (its start offset before the first commit), summed.
 */
export async function openLagReader(options: {
  brokers: string;
  topic: string;
  groupId: string;
}): Promise<{ read(): Promise<number>; close(): Promise<void> }> {
  const admin: Admin = new Kafka({
    clientId: 'rapport-bench',
    brokers: options.brokers.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  return {
    async read() {
      const [ends, [committed]] = await Promise.all([
        admin.fetchTopicOffsets(options.topic),
        admin.fetchOffsets({ groupId: options.groupId, topics: [options.topic] }),
      ]);
      const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
      let lag = 0n;
      for (const end of ends) {
        const offset = at.get(end.partition);
        const from = offset === undefined || BigInt(offset) < 0n ? BigInt(end.low) : BigInt(offset);
        if (BigInt(end.high) > from) lag += BigInt(end.high) - from;
      }
      return Number(lag);
    },
    close: () => admin.disconnect(),
  };
}
