import { SimulatedLog } from '@rapport/bus/testing';
import { Metrics } from '@rapport/observability';
import type { Store } from '@rapport/store';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumeBatch } from './consume-batch.js';
import { dedupTokenOf } from './dedup-token.js';
import { EventSink } from './event-sink.js';
import { recoverProjections } from './projection-watch.js';
import { countsOf, openTestStore } from './testing/embedded-store.js';
import { FaultyStore, type WriteFault } from './testing/faulty-store.js';
import { storedEvent } from './testing/stored-events.js';

let store: Store;
let dispose: () => Promise<void>;

beforeAll(async () => {
  ({ store, dispose } = await openTestStore());
});

afterAll(() => dispose());

/**
 * One pipeline "process" consuming a simulated Kafka topic with the Kafka adapter's own batch
 * step, writing through a store that fails when told.
 */
function pipelineOn(log: SimulatedLog, faulty: FaultyStore, maxBatch = 100) {
  const sink = new EventSink({
    store: faulty,
    logger: pino({ level: 'silent' }),
    metrics: new Metrics({ processMetrics: false }),
    batch: { maxRows: 10_000, flushIntervalMs: 1, maxQueueRows: 100_000 },
  });
  const consumer = log.consumer({ handler: createConsumeBatch({ sink }), maxBatch });
  return { sink, consumer };
}

/**
 * Runs pipeline processes, restarting after each fatal stop, until the topic is consumed.
 * Each process starts as the pipeline service does: blocks a crash cut short go in again first.
 */
async function consumeAll(log: SimulatedLog, faulty: FaultyStore, maxBatch = 100) {
  let restarts = 0;
  for (;;) {
    await recoverProjections({
      store: faulty,
      logger: pino({ level: 'silent' }),
      metrics: new Metrics({ processMetrics: false }),
    });
    const { sink, consumer } = pipelineOn(log, faulty, maxBatch);
    await consumer.drain();
    await sink.close();
    if (!consumer.fatal) return { restarts };
    restarts++;
    if (restarts > 10) throw new Error(`still failing: ${consumer.fatal.message}`);
  }
}

function produce(log: SimulatedLog, test: string, count: number, twoPeriods = false) {
  const customerId = `cust-${test}`;
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    const event = storedEvent(`${test}-${index}`, {
      customerId,
      period: twoPeriods && index >= count / 2 ? 'later' : 'earlier',
    });
    log.append(event.customer_key, JSON.stringify(event));
    ids.push(event.event_id);
  }
  return { ids, customerKey: `c:${customerId}` };
}

describe('pipeline on the Kafka consumer step', () => {
  it('commits a batch only once its events are in the store', async () => {
    const log = new SimulatedLog('rapport.events.v1', 1);
    const faulty = new FaultyStore(store);
    const { ids, customerKey } = produce(log, 'order', 7);
    const committedAtInsert: bigint[] = [];
    const original = faulty.insertJsonLines.bind(faulty);
    faulty.insertJsonLines = async (table, body, options) => {
      if (table === 'events') committedAtInsert.push(log.committed[0]!);
      await original(table, body, options);
    };
    await consumeAll(log, faulty, 3);
    expect(committedAtInsert).toEqual([0n, 3n, 6n]);
    expect(log.commits).toEqual(['0:3', '0:6', '0:7']);
    // Each block is named by the ids it writes, not by where the bus holds them.
    expect(faulty.inserts.map((insert) => insert.token)).toEqual([
      dedupTokenOf(ids.slice(0, 3)),
      dedupTokenOf(ids.slice(3, 6)),
      dedupTokenOf(ids.slice(6)),
    ]);
    expect(await countsOf(store, ids, customerKey)).toEqual({ rows: 7, distinct: 7, projected: 7 });
  });

  const windows: { fault: WriteFault; restarts: number }[] = [
    { fault: 'crash-before-insert', restarts: 1 },
    { fault: 'crash-after-insert', restarts: 1 },
    { fault: 'crash-before-views', restarts: 1 },
    { fault: 'crash-mid-batch', restarts: 1 },
    { fault: 'view-fails', restarts: 1 },
    { fault: 'view-timeout', restarts: 0 },
    { fault: 'ack-lost', restarts: 0 },
  ];
  for (const { fault, restarts } of windows) {
    it(`${fault}: zero loss, zero duplicates, all committed`, async () => {
      const log = new SimulatedLog('rapport.events.v1', 2);
      const faulty = new FaultyStore(store);
      const { ids, customerKey } = produce(log, `k-${fault}`, 10, fault === 'crash-mid-batch');
      faulty.failNext(fault);
      expect((await consumeAll(log, faulty)).restarts).toBe(restarts);
      expect(log.lag).toBe(0);
      expect(await countsOf(store, ids, customerKey)).toEqual({
        rows: 10,
        distinct: 10,
        projected: 10,
      });
    });
  }

  it('a crash between insert and commit (lost commit) redelivers the batch as duplicates', async () => {
    const log = new SimulatedLog('rapport.events.v1', 1);
    const faulty = new FaultyStore(store);
    const { ids, customerKey } = produce(log, 'lost-commit', 4);
    log.failNextCommit = new Error('the group is rebalancing');
    await consumeAll(log, faulty);
    expect(faulty.inserts).toHaveLength(1);
    expect(log.commits).toEqual(['0:4']);
    expect(await countsOf(store, ids, customerKey)).toEqual({ rows: 4, distinct: 4, projected: 4 });
  });

  it('with ClickHouse down, pauses without committing and drains when it is back', async () => {
    const log = new SimulatedLog('rapport.events.v1', 1);
    const faulty = new FaultyStore(store);
    const { ids, customerKey } = produce(log, 'outage', 5);
    // Three attempts inside the writer, then the partition pauses and comes again: twice.
    faulty.failNext(...Array.from({ length: 7 }, (): WriteFault => 'unavailable'));
    const { sink, consumer } = pipelineOn(log, faulty);
    await consumer.drain();
    await sink.close();
    expect(consumer.fatal).toBeUndefined();
    expect(faulty.pendingFaults).toBe(0);
    expect(log.commits).toEqual(['0:5']);
    expect(await countsOf(store, ids, customerKey)).toEqual({ rows: 5, distinct: 5, projected: 5 });
  });

  it('routes undecodable and invalid messages to the dead-letter queue and goes on', async () => {
    const log = new SimulatedLog('rapport.events.v1', 1);
    const faulty = new FaultyStore(store);
    const before = produce(log, 'dlq-a', 2);
    log.append('c:x', 'not json');
    log.append('c:x', '');
    log.append('c:x', JSON.stringify({ ...storedEvent('dlq-bad'), channel: 'carrier-pigeon' }));
    log.append('c:x', JSON.stringify(storedEvent('dlq-huge', { amount: 1e15 })));
    const after = produce(log, 'dlq-b', 2);
    await consumeAll(log, faulty);
    expect(log.deadLetters.map((letter) => [letter.offset, letter.reason])).toEqual([
      ['2', expect.stringMatching(/^the value is not JSON: /)],
      ['3', 'the message has no value'],
      ['4', expect.stringMatching(/^the value is not a stored event: channel: /)],
      ['5', expect.stringMatching(/amount: must be less than 100000000000000/)],
    ]);
    expect(log.deadLetters[0]?.value.toString()).toBe('not json');
    expect(log.commits).toEqual(['0:8']);
    for (const { ids, customerKey } of [before, after]) {
      expect(await countsOf(store, ids, customerKey)).toEqual({
        rows: 2,
        distinct: 2,
        projected: 2,
      });
    }
  });

  it('on shutdown finishes and commits the batch in hand, and the next process goes on from there', async () => {
    const log = new SimulatedLog('rapport.events.v1', 1);
    const faulty = new FaultyStore(store);
    const { ids, customerKey } = produce(log, 'shutdown', 6);
    const { sink, consumer } = pipelineOn(log, faulty, 2);
    const original = faulty.insertJsonLines.bind(faulty);
    faulty.insertJsonLines = async (table, body, options) => {
      consumer.stop(); // SIGTERM arrives while the first batch is being written
      await original(table, body, options);
    };
    await consumer.drain();
    await sink.close();
    expect(log.commits).toEqual(['0:2']);
    faulty.insertJsonLines = original;
    await consumeAll(log, faulty, 2);
    expect(log.commits).toEqual(['0:2', '0:4', '0:6']);
    expect(await countsOf(store, ids, customerKey)).toEqual({ rows: 6, distinct: 6, projected: 6 });
  });
});
