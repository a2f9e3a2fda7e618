import { InProcessBus, type BusMessage } from '@rapport/bus';
import { Metrics } from '@rapport/observability';
import type { Store } from '@rapport/store';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline } from './pipeline.js';
import { openTestStore } from './testing/embedded-store.js';
import { messageOf, storedEvent } from './testing/stored-events.js';

let store: Store;
let dispose: () => Promise<void>;

beforeAll(async () => {
  ({ store, dispose } = await openTestStore());
});
afterAll(() => dispose());

/** A message whose stored JSON the store cannot take: it skipped the checks ingest makes. */
function unstorable(eventId: string, change: Record<string, unknown>): BusMessage {
  const message = messageOf(storedEvent(eventId, { customerId: `bad-${eventId}` }));
  return { ...message, value: JSON.stringify({ ...JSON.parse(message.value), ...change }) };
}

async function storedIds(prefix: string): Promise<string[]> {
  const rows = await store.query<{ event_id: string }>(
    'SELECT event_id FROM events WHERE startsWith(event_id, {prefix:String}) ORDER BY event_id',
    { prefix },
  );
  return rows.map((row) => row.event_id);
}

describe('a row the store refuses, among other producers’ rows', () => {
  it('is refused alone: every other producer of the batch is stored and answered', async () => {
    const bus = new InProcessBus();
    const pipeline = await startPipeline({
      store,
      bus,
      logger: pino({ level: 'silent' }),
      metrics: new Metrics({ processMetrics: false }),
      // A long interval, so that all the producers below share one batch.
      batch: { maxRows: 10_000, flushIntervalMs: 50, maxQueueRows: 100_000 },
    });
    const producers = Array.from({ length: 10 }, (_, producer) =>
      Array.from({ length: 5 }, (_, n) =>
        messageOf(storedEvent(`mix-${producer}-${n}`, { customerId: `p-${producer}` })),
      ),
    );
    const bad = [
      unstorable('mix-bad-decimal', { amount: 1e15 }),
      unstorable('mix-bad-surrogate', { customer_id: 'x\ud800', customer_key: 'c:x\ud800' }),
    ];
    const answers = await Promise.all([
      ...producers.map((messages) => bus.publish(messages)),
      bus.publish([bad[0]!, messageOf(storedEvent('mix-beside-bad'))]),
      bus.publish([bad[1]!]),
    ]);
    await pipeline.stop();

    for (const answer of answers.slice(0, 10)) {
      expect(answer.outcomes).toEqual(Array(5).fill('stored'));
    }
    expect(answers[10]?.outcomes).toEqual([
      { deadLettered: expect.stringMatching(/^the store refused the event: .*Code: 69/) },
      'stored',
    ]);
    expect(answers[11]?.outcomes).toEqual([{ deadLettered: expect.stringMatching(/surrogate/) }]);
    expect(bus.deadLetters.map((letter) => letter.key)).toEqual([
      'c:bad-mix-bad-decimal',
      'c:bad-mix-bad-surrogate',
    ]);
    const expected = [
      ...producers.flat().map((message) => message.eventId),
      'mix-beside-bad',
    ].sort();
    expect(await storedIds('mix-')).toEqual(expected);
  });
});
