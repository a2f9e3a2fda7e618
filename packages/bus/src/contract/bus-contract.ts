import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BusUnavailableError,
  type BatchHandler,
  type BusMessage,
  type DeadLetter,
  type Delivered,
  type EventBus,
  type Outcome,
  type PublishResult,
} from '../port.js';

/** One bus under test, on a topic of its own. */
export interface BusHarness {
  bus: EventBus;
  /** The dead letters so far, waiting until there are at least `count` (or giving up). */
  deadLetters(count: number): Promise<DeadLetter[]>;
  close(): Promise<void>;
}

export interface ContractOptions {
  /** Set when the suite cannot run here: the reason, printed once. */
  skip?: string | undefined;
  /** How long to wait for deliveries (default 10 s; a broker needs more). */
  waitMs?: number;
}

const message = (key: string, eventId: string, value?: string): BusMessage => ({
  key,
  eventId,
  type: 'track',
  value: value ?? JSON.stringify({ event_id: eventId, customer_key: key }),
});

/** What every delivered message carries that a test can check: its event id, from the value. */
function eventIdOf(delivered: Delivered): string | undefined {
  try {
    return (JSON.parse(delivered.value.toString()) as { event_id?: string }).event_id;
  } catch {
    return undefined;
  }
}

/**
 * A subscriber that behaves as the pipeline does: it keeps each event id once (answering
 * `duplicate` for ids it has), refuses values that are not JSON, and lets a test fail batches.
 */
function recordingHandler(options: { fail?: (batch: Delivered[]) => Error | undefined } = {}) {
  const stored = new Map<string, { key: string | null; partition: number; offset: string }>();
  const deliveries: {
    eventId: string | undefined;
    key: string | null;
    partition: number;
    offset: string;
  }[] = [];
  const handler: BatchHandler = async (batch) => {
    for (const m of batch.messages) {
      deliveries.push({
        eventId: eventIdOf(m),
        key: m.key,
        partition: batch.partition,
        offset: m.offset,
      });
    }
    const failure = options.fail?.([...batch.messages]);
    if (failure) throw failure;
    return batch.messages.map((m): Outcome => {
      const eventId = eventIdOf(m);
      if (eventId === undefined) return { invalid: 'the value is not a JSON event' };
      if (stored.has(eventId)) return 'duplicate';
      stored.set(eventId, { key: m.key, partition: batch.partition, offset: m.offset });
      return 'stored';
    });
  };
  return { handler, stored, deliveries };
}

/** Publishes as a producer answered 503 would: again after a pause, until acknowledged. */
async function publishUntilAcknowledged(
  bus: EventBus,
  messages: BusMessage[],
): Promise<PublishResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await bus.publish(messages);
    } catch (error) {
      if (!(error instanceof BusUnavailableError) || attempt >= 50) throw error;
      await sleep(20);
    }
  }
}

async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const retriable = (text: string) => Object.assign(new Error(text), { retriable: true });

/**
 * The EventBus contract every adapter keeps: what is published is delivered, with its key
 * and bytes and a position; one key's messages arrive in the order published; a batch whose
 * handler failed with a retriable error is delivered again (by the adapter, or through the
 * producer's retry when the bus answers BusUnavailableError) until it is stored once;
 * messages the handler refuses become dead letters with the reason and their position, and
 * the partition goes on. A closed bus takes nothing more.
 */
export function describeBusContract(
  name: string,
  makeHarness: () => Promise<BusHarness>,
  options: ContractOptions = {},
): void {
  const waitMs = options.waitMs ?? 10_000;
  describe.skipIf(options.skip !== undefined)(`EventBus contract: ${name}`, () => {
    let harness: BusHarness | undefined;
    const open = async () => {
      harness = await makeHarness();
      return harness;
    };
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });

    it('delivers every published message once, with its key, bytes and position', async () => {
      const { bus } = await open();
      const { handler, stored, deliveries } = recordingHandler();
      await bus.subscribe(handler);
      const sent = [message('c:ada', 'p-1'), message('c:bob', 'p-2'), message('c:ada', 'p-3')];
      const result = await publishUntilAcknowledged(bus, sent.slice(0, 2));
      await publishUntilAcknowledged(bus, sent.slice(2));
      // The in-process bus waits for the store; Kafka answers once the brokers have it.
      if (result.outcomes) expect(result.outcomes).toEqual(['stored', 'stored']);
      await waitFor(() => stored.size === 3, waitMs, 'three deliveries');
      expect(deliveries.map((d) => d.eventId).sort()).toEqual(['p-1', 'p-2', 'p-3']);
      expect(stored.get('p-1')?.key).toBe('c:ada');
      expect(stored.get('p-2')?.key).toBe('c:bob');
      for (const delivery of deliveries) expect(delivery.offset).toMatch(/^\d+$/);
      // Offsets grow within a partition.
      const ada = [stored.get('p-1')!, stored.get('p-3')!];
      expect(ada[0]!.partition).toBe(ada[1]!.partition);
      expect(BigInt(ada[1]!.offset)).toBeGreaterThan(BigInt(ada[0]!.offset));
    });

    it("keeps one key's messages in the order they were published", async () => {
      const { bus } = await open();
      const { handler, stored, deliveries } = recordingHandler();
      await bus.subscribe(handler);
      const keys = ['c:k1', 'c:k2', 'c:k3'];
      const expected = new Map(keys.map((key) => [key, [] as string[]]));
      for (let round = 0; round < 8; round++) {
        const batch = keys.map((key, index) => message(key, `o-${round}-${index}`));
        for (const m of batch) expected.get(m.key)!.push(m.eventId);
        await publishUntilAcknowledged(bus, batch);
      }
      await waitFor(() => stored.size === 24, waitMs, 'all 24 messages');
      for (const key of keys) {
        const order = deliveries.filter((d) => d.key === key).map((d) => d.eventId);
        expect(order).toEqual(expected.get(key));
      }
    });

    it('delivers a batch again after a retriable failure, until it is stored once', async () => {
      const { bus } = await open();
      let failures = 0;
      const { handler, stored, deliveries } = recordingHandler({
        fail: (batch) => {
          if (failures < 2 && batch.some((m) => eventIdOf(m) === 'r-2')) {
            failures++;
            return retriable('store unavailable');
          }
          return undefined;
        },
      });
      await bus.subscribe(handler);
      await publishUntilAcknowledged(bus, [message('c:r', 'r-1'), message('c:r', 'r-2')]);
      await publishUntilAcknowledged(bus, [message('c:r', 'r-3')]);
      await waitFor(() => stored.size === 3, waitMs, 'the failed batch to be stored');
      expect(failures).toBe(2);
      expect(deliveries.filter((d) => d.eventId === 'r-2').length).toBeGreaterThanOrEqual(3);
      expect([...stored.keys()].sort()).toEqual(['r-1', 'r-2', 'r-3']);
    });

    it('dead-letters what the handler refuses, with reason and position, and moves on', async () => {
      const opened = await open();
      const { bus } = opened;
      const { handler, stored, deliveries } = recordingHandler();
      await bus.subscribe(handler);
      await publishUntilAcknowledged(bus, [
        message('c:d', 'd-1'),
        message('c:d', 'd-bad', 'not json {'),
        message('c:d', 'd-2'),
      ]);
      await publishUntilAcknowledged(bus, [message('c:d', 'd-3')]);
      await waitFor(() => stored.size === 3, waitMs, 'the messages around the bad one');
      const [letter, ...more] = await opened.deadLetters(1);
      expect(more).toEqual([]);
      const bad = deliveries.find((d) => d.eventId === undefined)!;
      expect(letter).toMatchObject({
        reason: 'the value is not a JSON event',
        partition: bad.partition,
        offset: bad.offset,
        key: 'c:d',
      });
      expect(letter!.value.toString()).toBe('not json {');
      expect([...stored.keys()].sort()).toEqual(['d-1', 'd-2', 'd-3']);
    });

    it('takes nothing once closed', async () => {
      const { bus } = await open();
      const { handler } = recordingHandler();
      await bus.subscribe(handler);
      await bus.close();
      expect(await bus.ready()).toBe(false);
      await expect(bus.publish([message('c:z', 'z-1')])).rejects.toThrow(/shutting down/);
    });
  });
}
