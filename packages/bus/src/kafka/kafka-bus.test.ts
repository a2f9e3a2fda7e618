import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { Metrics } from '@rapport/observability';
import { afterAll, describe, expect, it } from 'vitest';
import { findKafka } from '../contract/kafka-target.js';
import { BusUnavailableError, type BatchHandler, type BusMessage } from '../port.js';
import { KafkaBus } from './kafka-bus.js';

const message = (eventId: string): BusMessage => ({
  key: `c:${eventId}`,
  eventId,
  type: 'track',
  value: JSON.stringify({ event_id: eventId }),
});

describe('Kafka bus without a broker', () => {
  it('is not ready, says which brokers it cannot reach, and answers publish with 503', async () => {
    // Nothing listens on port 1 of the loopback address: connections are refused at once.
    const bus = new KafkaBus({ brokers: ['127.0.0.1:1'], publishTimeoutMs: 1500 });
    try {
      expect(await bus.ready()).toBe(false);
      await expect(bus.check()).rejects.toThrow(/127\.0\.0\.1:1 cannot be reached/);
      const started = performance.now();
      const failure = await bus.publish([message('e-1')]).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(BusUnavailableError);
      expect(failure).toMatchObject({ statusCode: 503 });
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      await bus.close();
    }
  });
});

const kafka = await findKafka();
if (kafka.skip) console.info(`Kafka bus broker tests skipped: ${kafka.skip}`);
afterAll(() => kafka.stop());

describe.skipIf(kafka.skip !== undefined)('Kafka bus against a broker', () => {
  const open = async (id: string, extra: Partial<ConstructorParameters<typeof KafkaBus>[0]> = {}) =>
    new KafkaBus({
      brokers: await kafka.brokers(),
      topic: `kafka-test-${id}.events`,
      deadLetterTopic: `kafka-test-${id}.dlq`,
      groupId: `kafka-test-${id}`,
      partitions: 4,
      retryBackoffMs: { initial: 50, max: 500 },
      maxWaitTimeMs: 50,
      sessionTimeoutMs: 10_000,
      ...extra,
    });

  const admin = async () => {
    const client = new Kafka({ brokers: await kafka.brokers(), logLevel: logLevel.NOTHING });
    const a = client.admin();
    await a.connect();
    return a;
  };

  it('creates both topics with the configured partitions when missing', async () => {
    const id = randomUUID().slice(0, 8);
    const bus = await open(id, { partitions: 5 });
    await bus.start();
    const a = await admin();
    try {
      const { topics } = await a.fetchTopicMetadata({
        topics: [`kafka-test-${id}.events`, `kafka-test-${id}.dlq`],
      });
      expect(topics.map((t) => t.partitions.length)).toEqual([5, 5]);
      // A second start finds them and changes nothing.
      await (await open(id, { partitions: 7 })).start();
    } finally {
      await a.disconnect();
      await bus.close();
    }
  });

  it('commits nothing of a batch whose handler failed for good: the next member gets it again', async () => {
    const id = randomUUID().slice(0, 8);
    const fatal: Error[] = [];
    const first = await open(id, { onFatal: (error) => fatal.push(error) });
    const seenByFirst: string[] = [];
    await first.subscribe(async (batch) => {
      seenByFirst.push(...batch.messages.map((m) => m.key ?? ''));
      throw new Error('schema mismatch');
    });
    await first.publish([message('a'), message('b')]);
    while (fatal.length === 0) await sleep(20);
    expect(await first.ready()).toBe(false);
    await first.close();

    const second = await open(id);
    const seen: string[] = [];
    await second.subscribe(async (batch) => {
      seen.push(...batch.messages.map((m) => m.key ?? ''));
      return batch.messages.map(() => 'stored' as const);
    });
    while (seen.length < 2) await sleep(20);
    await second.close();
    expect(seen.sort()).toEqual(['c:a', 'c:b']);

    // Both were committed by the second member: a third one gets nothing.
    const third = await open(id);
    const late: string[] = [];
    await third.subscribe(async (batch) => {
      late.push(...batch.messages.map((m) => m.key ?? ''));
      return batch.messages.map(() => 'stored' as const);
    });
    await sleep(2000);
    await third.close();
    expect(late).toEqual([]);
  });

  it('on close lets the batch in hand finish and commits it', async () => {
    const id = randomUUID().slice(0, 8);
    const bus = await open(id, { partitions: 1 });
    let started = false;
    let finished = false;
    const handler: BatchHandler = async (batch) => {
      started = true;
      await sleep(500);
      finished = true;
      return batch.messages.map(() => 'stored' as const);
    };
    await bus.subscribe(handler);
    await bus.publish([message('slow')]);
    while (!started) await sleep(10);
    await bus.close();
    expect(finished).toBe(true);
    const a = await admin();
    try {
      const [offsets] = await a.fetchOffsets({
        groupId: `kafka-test-${id}`,
        topics: [`kafka-test-${id}.events`],
      });
      expect(offsets?.partitions[0]?.offset).toBe('1');
    } finally {
      await a.disconnect();
    }
  });

  it('reports consumer lag per partition and produce latency in the metrics', async () => {
    const id = randomUUID().slice(0, 8);
    const metrics = new Metrics({ processMetrics: false });
    const bus = await open(id, { partitions: 2, metrics, lagIntervalMs: 200 });
    const stored = new Set<string>();
    await bus.subscribe(async (batch) => {
      for (const m of batch.messages) stored.add(m.key ?? '');
      return batch.messages.map(() => 'stored' as const);
    });
    await bus.publish([message('x'), message('y'), message('z')]);
    while (stored.size < 3) await sleep(20);
    await sleep(500);
    const text = await metrics.registry.metrics();
    await bus.close();
    expect(text).toMatch(
      /rapport_bus_consumer_lag_messages\{topic="kafka-test-[^"]+",partition="0"\} 0/,
    );
    expect(text).toMatch(
      /rapport_bus_produce_duration_seconds_count\{topic="[^"]+",outcome="acked"\} 1/,
    );
  });
});
