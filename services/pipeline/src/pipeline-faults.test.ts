import { setTimeout as sleep } from 'node:timers/promises';
import {
  BusUnavailableError,
  InProcessBus,
  type BusMessage,
  type PublishResult,
} from '@rapport/bus';
import { Metrics } from '@rapport/observability';
import { eventInsertSettings, type Store } from '@rapport/store';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedupTokenOf } from './dedup-token.js';
import { createWriteEventsStep } from './event-sink.js';
import { startPipeline, type Pipeline } from './pipeline.js';
import { countsOf, openTestStore } from './testing/embedded-store.js';
import { FaultyStore, type WriteFault } from './testing/faulty-store.js';
import { messageOf, storedEvent } from './testing/stored-events.js';

let store: Store;
let dispose: () => Promise<void>;

beforeAll(async () => {
  ({ store, dispose } = await openTestStore());
});

afterAll(() => dispose());

/** The embedded engine's pipeline on a store that fails when told: a "process" of its own. */
async function startProcess(
  faulty: FaultyStore,
): Promise<{ bus: InProcessBus; pipeline: Pipeline }> {
  const bus = new InProcessBus();
  const pipeline = await startPipeline({
    store: faulty,
    bus,
    logger: pino({ level: 'silent' }),
    metrics: new Metrics({ processMetrics: false }),
    batch: { maxRows: 1000, flushIntervalMs: 1, maxQueueRows: 100_000 },
  });
  return { bus, pipeline };
}

/**
 * A producer that sends until it is acknowledged, as a client does on an error or a 503:
 * when the engine "crashed" (a write failed for good), it sends to the restarted one.
 */
async function sendUntilAcknowledged(
  faulty: FaultyStore,
  messages: BusMessage[],
): Promise<{ result: PublishResult; restarts: number }> {
  let current = await startProcess(faulty);
  let restarts = 0;
  for (let attempt = 1; attempt <= 30; attempt++) {
    try {
      const result = await current.bus.publish(messages);
      await current.pipeline.stop();
      return { result, restarts };
    } catch (error) {
      if (!(error instanceof BusUnavailableError)) {
        // A crash: the process is gone with whatever it held; a supervisor starts a new one.
        await current.bus.close();
        current = await startProcess(faulty);
        restarts++;
      } else {
        await sleep(20);
      }
    }
  }
  throw new Error('never acknowledged');
}

function batchFor(test: string, count: number, options: { twoPeriods?: boolean } = {}) {
  const customerId = `cust-${test}`;
  const events = Array.from({ length: count }, (_, index) =>
    storedEvent(`${test}-${index}`, {
      customerId,
      period: options.twoPeriods && index >= count / 2 ? 'later' : 'earlier',
    }),
  );
  return {
    customerKey: `c:${customerId}`,
    ids: events.map((e) => e.event_id),
    messages: events.map(messageOf),
  };
}

describe('embedded pipeline under write faults (in-process bus)', () => {
  // A crash leaves the block begun in the journal: the next process inserts it again before it
  // takes events, so the producer's retry finds every event stored (and the views complete).
  const cases: { fault: WriteFault; restarts: number; outcomes: string[] }[] = [
    { fault: 'crash-before-insert', restarts: 1, outcomes: ['duplicate'] },
    { fault: 'crash-after-insert', restarts: 1, outcomes: ['duplicate'] },
    { fault: 'crash-before-views', restarts: 1, outcomes: ['duplicate'] },
    { fault: 'crash-mid-batch', restarts: 1, outcomes: ['duplicate'] },
    { fault: 'view-fails', restarts: 1, outcomes: ['duplicate'] },
    { fault: 'view-timeout', restarts: 0, outcomes: ['stored'] },
    { fault: 'ack-lost', restarts: 0, outcomes: ['stored'] },
  ];

  for (const { fault, restarts, outcomes } of cases) {
    it(`${fault}: every acknowledged event is stored exactly once`, async () => {
      const faulty = new FaultyStore(store);
      const { customerKey, ids, messages } = batchFor(fault, 6, {
        twoPeriods: fault === 'crash-mid-batch',
      });
      faulty.failNext(fault);
      const sent = await sendUntilAcknowledged(faulty, messages);
      expect(sent.restarts).toBe(restarts);
      expect(new Set(sent.result.outcomes)).toEqual(new Set(outcomes));
      expect(await countsOf(store, ids, customerKey)).toEqual({
        rows: 6,
        distinct: 6,
        projected: 6,
      });
    });
  }

  it('ack-lost: the repeated insert carries the same token and ClickHouse drops it', async () => {
    const faulty = new FaultyStore(store);
    const { messages } = batchFor('token', 3);
    faulty.failNext('ack-lost');
    await sendUntilAcknowledged(faulty, messages);
    expect(faulty.inserts.map((insert) => insert.rows)).toEqual([3, 3, 3]);
    const [first, ...repeats] = faulty.inserts;
    expect(first?.token).toBe(dedupTokenOf(messages.map((m) => m.eventId)));
    for (const repeat of repeats) expect(repeat.token).toBe(first?.token);
  });

  it('a view that fails after events took the block: the retry completes it, in the same process', async () => {
    const faulty = new FaultyStore(store);
    const { bus, pipeline } = await startProcess(faulty);
    const { customerKey, ids, messages } = batchFor('view-retry', 5);
    faulty.failNext('view-fails');
    await expect(bus.publish(messages)).rejects.toThrow(/columns to read/);
    expect(await countsOf(store, ids, customerKey)).toEqual({ rows: 5, distinct: 5, projected: 0 });
    // The producer sends again: the failed block goes first, under its token.
    await expect(bus.publish(messages)).resolves.toEqual({ outcomes: Array(5).fill('stored') });
    await pipeline.stop();
    expect(await countsOf(store, ids, customerKey)).toEqual({ rows: 5, distinct: 5, projected: 5 });
  });

  it('store down: producers hear 503 until it is back, then everything drains once', async () => {
    const faulty = new FaultyStore(store);
    const { customerKey, ids, messages } = batchFor('outage', 8);
    // The writer tries three times per publish; five failures outlast one publish.
    faulty.failNext('unavailable', 'unavailable', 'unavailable', 'unavailable', 'unavailable');
    const sent = await sendUntilAcknowledged(faulty, messages);
    expect(sent.restarts).toBe(0);
    expect(faulty.pendingFaults).toBe(0);
    expect(await countsOf(store, ids, customerKey)).toEqual({ rows: 8, distinct: 8, projected: 8 });
  });

  it('on shutdown writes what was accepted and refuses what comes after', async () => {
    const faulty = new FaultyStore(store);
    const { bus, pipeline } = await startProcess(faulty);
    const { customerKey, ids, messages } = batchFor('shutdown', 4);
    const pending = bus.publish(messages);
    await bus.close();
    await pipeline.stop();
    await expect(pending).resolves.toEqual({ outcomes: ['stored', 'stored', 'stored', 'stored'] });
    await expect(bus.publish(batchFor('late', 1).messages)).rejects.toThrow(/shutting down/);
    expect(await countsOf(store, ids, customerKey)).toEqual({ rows: 4, distinct: 4, projected: 4 });
  });

  it('the token, not the rows, names an insert, and it stays with that insert alone', async () => {
    const write = createWriteEventsStep({ store });
    const { customerKey, ids, messages } = batchFor('token-scope', 3);
    const [a, b, c] = messages as [BusMessage, BusMessage, BusMessage];
    await write([a, b]);
    // Neither insert setting stays on the connection (trap: session settings leak).
    const changed = await store.query<{ name: string }>(
      `SELECT name FROM system.settings WHERE changed AND name IN
        ('insert_deduplication_token', 'deduplicate_blocks_in_dependent_materialized_views')`,
      undefined,
      'write',
    );
    expect(changed).toEqual([]);
    // Another block under the same token is taken for a repeat: dropped, its views too.
    const same = dedupTokenOf([a.eventId, b.eventId]);
    await store.insertJsonLines('events', Buffer.from(c.value), {
      settings: eventInsertSettings(same),
    });
    expect(await countsOf(store, ids, customerKey)).toEqual({ rows: 2, distinct: 2, projected: 2 });
    // The token did not stick to the connection: the next insert is kept.
    await write([c]);
    expect(await countsOf(store, ids, customerKey)).toEqual({ rows: 3, distinct: 3, projected: 3 });
  });
});
