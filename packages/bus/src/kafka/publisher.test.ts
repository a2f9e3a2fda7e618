import type { Kafka, Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { BusUnavailableError } from '../port.js';
import { KafkaPublisher } from './publisher.js';

/** A Kafka client whose brokers take connections and never answer a produce request. */
function hangingKafka() {
  let produceRequests = 0;
  const producer = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    sendBatch: () => {
      produceRequests++;
      return new Promise(() => {});
    },
  } as unknown as Producer;
  const kafka = { producer: () => producer } as unknown as Kafka;
  return { kafka, produceRequests: () => produceRequests };
}

const messages = (bytes: number) => [{ key: 'c:1', value: Buffer.alloc(bytes) }];

describe('the publisher while the broker hangs', () => {
  it('refuses a publish at once (503, retry later) when the queue is full', async () => {
    const { kafka } = hangingKafka();
    const publisher = new KafkaPublisher(kafka, {
      timeoutMs: 60_000,
      maxProduceBytes: 1024,
      maxQueuedBytes: 4096,
    });
    // The first goes in flight; the next four wait, and fill the queue.
    const waiting = Array.from({ length: 5 }, () => publisher.send('t', messages(1024)));
    for (const promise of waiting) void promise.catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(publisher.waitingBytes).toBe(4096);
    const started = performance.now();
    const refused = await publisher.send('t', messages(1024)).catch((error: unknown) => error);
    expect(performance.now() - started).toBeLessThan(100);
    expect(refused).toBeInstanceOf(BusUnavailableError);
    expect(refused).toMatchObject({ statusCode: 503, retryAfterSeconds: 2 });
    expect(publisher.waitingBytes).toBe(4096);
  });

  it('drops from the queue a publish that timed out before it was sent', async () => {
    const { kafka, produceRequests } = hangingKafka();
    const publisher = new KafkaPublisher(kafka, { timeoutMs: 50, maxProduceBytes: 1024 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => publisher.send('t', messages(1024))),
    );
    expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(publisher.waitingBytes).toBe(0);
    // Only the request in flight when the broker stopped answering was ever sent.
    expect(produceRequests()).toBe(1);
  });
});
