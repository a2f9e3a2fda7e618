import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll } from 'vitest';
import { KafkaBus } from '../kafka/kafka-bus.js';
import { readDeadLetter } from '../kafka/headers.js';
import type { DeadLetter } from '../port.js';
import { describeBusContract } from './bus-contract.js';
import { findKafka } from './kafka-target.js';

const kafka = await findKafka();
if (kafka.skip) console.info(`Kafka bus contract skipped: ${kafka.skip}`);
afterAll(() => kafka.stop());

/** Reads the dead-letter topic from the start with a throwaway group. */
async function readDeadLetters(brokers: string[], topic: string, count: number) {
  const client = new Kafka({ clientId: 'contract-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = client.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const letters: DeadLetter[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        letters.push(readDeadLetter(message));
      },
    });
    const deadline = performance.now() + 20_000;
    while (letters.length < count && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return letters;
  } finally {
    await consumer.disconnect();
  }
}

describeBusContract(
  'Kafka',
  async () => {
    const brokers = await kafka.brokers();
    const id = randomUUID().slice(0, 8);
    const topic = `contract-${id}.events`;
    const deadLetterTopic = `contract-${id}.dlq`;
    const bus = new KafkaBus({
      brokers,
      clientId: 'rapport-contract',
      topic,
      deadLetterTopic,
      groupId: `contract-${id}`,
      partitions: 3,
      retryBackoffMs: { initial: 50, max: 500 },
      maxWaitTimeMs: 50,
      lagIntervalMs: 0,
      sessionTimeoutMs: 10_000,
    });
    return {
      bus,
      deadLetters: (count) => readDeadLetters(brokers, deadLetterTopic, count),
      close: async () => {
        await bus.close();
        const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        await admin.deleteTopics({ topics: [topic, deadLetterTopic] }).catch(() => undefined);
        await admin.disconnect();
      },
    };
  },
  { skip: kafka.skip, waitMs: 60_000 },
);
