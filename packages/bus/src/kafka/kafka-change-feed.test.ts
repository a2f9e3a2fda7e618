import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import type { SegmentChange } from '@rapport/schemas';
import { afterAll, describe, expect, it } from 'vitest';
import { findKafka } from '../contract/kafka-target.js';
import { BusUnavailableError } from '../port.js';
import { changeKey, changeMessage, chunkMessages, CHANGE_HEADER } from './change-messages.js';
import { decodeHeaders } from './headers.js';
import { KafkaChangeFeed } from './kafka-change-feed.js';

interface Profile {
  customerId: string | null;
  anonymousId: string | null;
}

const change = (options: {
  profile: Profile;
  run: number;
  segment: string;
  kind: 'entered' | 'exited';
}): SegmentChange => {
  const { profile, run, segment, kind } = options;
  const key = profile.customerId ?? `a:${profile.anonymousId}`;
  return {
    id: `run-${run}:${segment}:${key}`,
    segmentId: segment,
    segmentName: `Segment ${segment}`,
    version: 2,
    change: kind,
    customerId: profile.customerId,
    anonymousId: profile.anonymousId,
    at: new Date(Date.UTC(2025, 0, run)).toISOString(),
    runId: `run-${run}`,
  };
};

describe('change messages', () => {
  it('key by customer id, else by a: and the anonymous id, and carry kind and segment in headers', () => {
    const byCustomer = change({
      profile: { customerId: 'cust-9', anonymousId: 'anon-1' },
      run: 1,
      segment: 'vip',
      kind: 'entered',
    });
    const byVisitor = change({
      profile: { customerId: null, anonymousId: 'anon-2' },
      run: 1,
      segment: 'vip',
      kind: 'exited',
    });
    expect(changeKey(byCustomer)).toBe('cust-9');
    expect(changeKey(byVisitor)).toBe('a:anon-2');
    const message = changeMessage(byVisitor);
    expect(message.key).toBe('a:anon-2');
    expect(JSON.parse(String(message.value))).toEqual(byVisitor);
    expect(message.headers).toEqual({
      [CHANGE_HEADER.changeId]: byVisitor.id,
      [CHANGE_HEADER.change]: 'exited',
      [CHANGE_HEADER.segmentId]: 'vip',
      [CHANGE_HEADER.contentType]: 'application/json',
    });
  });

  it('split a page into runs of bounded size without reordering it', () => {
    const messages = Array.from({ length: 10 }, (_, i) => ({
      key: String(i),
      value: 'x'.repeat(100),
    }));
    const chunks = chunkMessages(messages, 250);
    expect(chunks.map((chunk) => chunk.length)).toEqual([2, 2, 2, 2, 2]);
    expect(chunks.flat()).toEqual(messages);
    // A message larger than the bound goes alone rather than not at all.
    expect(chunkMessages([{ key: 'big', value: 'y'.repeat(1000) }], 250)).toHaveLength(1);
  });
});

describe('Kafka change feed without a broker', () => {
  it('rejects publish with BusUnavailableError within the publish timeout', async () => {
    // Nothing listens on port 1 of the loopback address: connections are refused at once.
    const feed = new KafkaChangeFeed({ brokers: ['127.0.0.1:1'], publishTimeoutMs: 1500 });
    try {
      const started = performance.now();
      const failure = await feed
        .publish([
          change({
            profile: { customerId: 'c', anonymousId: null },
            run: 1,
            segment: 's',
            kind: 'entered',
          }),
        ])
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(BusUnavailableError);
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      await feed.close();
    }
  });
});

const kafka = await findKafka();
if (kafka.skip) console.info(`Kafka change feed broker tests skipped: ${kafka.skip}`);
afterAll(() => kafka.stop());

interface Received {
  partition: number;
  offset: bigint;
  key: string | null;
  value: SegmentChange;
  headers: Record<string, string>;
}

/** Reads the topic from its start with a throwaway group until `count` messages came. */
async function readBack(brokers: string[], topic: string, count: number): Promise<Received[]> {
  const client = new Kafka({ clientId: 'change-feed-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = client.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const received: Received[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        received.push({
          partition,
          offset: BigInt(message.offset),
          key: message.key?.toString() ?? null,
          value: JSON.parse(message.value?.toString() ?? 'null') as SegmentChange,
          headers: decodeHeaders(message.headers),
        });
      },
    });
    const deadline = performance.now() + 30_000;
    while (received.length < count && performance.now() < deadline) await sleep(50);
    // A moment more: anything beyond `count` would be a duplicate and must show.
    await sleep(500);
    return received;
  } finally {
    await consumer.disconnect();
  }
}

describe.skipIf(kafka.skip !== undefined)('Kafka change feed against a broker', () => {
  it('creates the topic and publishes one message per change, keyed by profile, in order', async () => {
    const brokers = await kafka.brokers();
    const topic = `change-feed-test-${randomUUID().slice(0, 8)}`;
    // A small produce size, so that pages go out in many requests and their order is tested.
    const feed = new KafkaChangeFeed({ brokers, topic, partitions: 3, maxProduceBytes: 2048 });
    const profiles: Profile[] = [
      ...Array.from({ length: 8 }, (_, i) => ({ customerId: `cust-${i}`, anonymousId: null })),
      { customerId: 'cust-linked', anonymousId: 'anon-linked' },
      { customerId: null, anonymousId: 'anon-1' },
      { customerId: null, anonymousId: 'anon-2' },
    ];
    // Each run moves every profile in or out of two segments: a profile's changes must come
    // back in run order.
    const pages = Array.from({ length: 4 }, (_, r) =>
      profiles.flatMap((profile) =>
        ['vip', 'lapsed'].map((segment) =>
          change({ profile, run: r + 1, segment, kind: r % 2 === 0 ? 'entered' : 'exited' }),
        ),
      ),
    );
    const published = pages.flat();
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      for (const page of pages) await feed.publish(page);

      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(topics[0]?.partitions).toHaveLength(3);

      const received = await readBack(brokers, topic, published.length);
      expect(received).toHaveLength(published.length);
      expect(received.map((m) => m.value).sort(byId)).toEqual([...published].sort(byId));

      const byKey = new Map<string | null, Received[]>();
      for (const message of received) {
        expect(message.key).toBe(changeKey(message.value));
        expect(message.headers).toMatchObject({
          [CHANGE_HEADER.changeId]: message.value.id,
          [CHANGE_HEADER.change]: message.value.change,
          [CHANGE_HEADER.segmentId]: message.value.segmentId,
          [CHANGE_HEADER.contentType]: 'application/json',
        });
        byKey.set(message.key, [...(byKey.get(message.key) ?? []), message]);
      }
      expect([...byKey.keys()].sort()).toEqual(
        [
          'a:anon-1',
          'a:anon-2',
          'cust-linked',
          ...profiles.slice(0, 8).map((p) => p.customerId),
        ].sort(),
      );
      for (const [key, messages] of byKey) {
        // One partition per profile, and the partition's order is the publish order.
        expect(new Set(messages.map((m) => m.partition)).size).toBe(1);
        const inLog = [...messages].sort((a, b) => (a.offset < b.offset ? -1 : 1));
        expect(inLog.map((m) => m.value.id)).toEqual(
          published.filter((c) => changeKey(c) === key).map((c) => c.id),
        );
      }
      // Three partitions and eleven profiles: the keys spread over more than one.
      expect(new Set(received.map((m) => m.partition)).size).toBeGreaterThan(1);

      await feed.close();
      await expect(feed.publish(pages[0]!)).rejects.toBeInstanceOf(BusUnavailableError);
    } finally {
      await feed.close();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});

function byId(a: SegmentChange, b: SegmentChange): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
