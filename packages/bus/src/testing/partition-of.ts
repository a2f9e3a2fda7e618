import { Partitioners } from 'kafkajs';

const partitioner = Partitioners.DefaultPartitioner();

/**
 * The partition of `partitions` a message keyed `key` goes to, as the publisher's partitioner
 * (kafkajs's default, murmur2 as Java clients) chooses it: tests place profiles on partitions.
 */
export function partitionOf(key: string, partitions: number): number {
  return partitioner({
    topic: 'any',
    partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
    })),
    message: { key, value: null },
  });
}
