import type { Lane, QueryParams, Store } from '@rapport/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWriteEventsStep } from './event-sink.js';
import { CompletedInserts } from './stored-ids.js';
import { countsOf, openTestStore } from './testing/embedded-store.js';
import { messageOf, storedEvent } from './testing/stored-events.js';

let store: Store;
let dispose: () => Promise<void>;

beforeAll(async () => {
  ({ store, dispose } = await openTestStore());
});
afterAll(() => dispose());

/** The store, with every query on the read lane failing and the lanes of look-ups counted. */
function readsFailing(inner: Store) {
  const lanes: Lane[] = [];
  const wrapped: Store = Object.create(inner) as Store;
  wrapped.query = <T>(sql: string, params?: QueryParams, lane: Lane = 'read') => {
    if (sql.includes('SELECT event_id FROM events')) lanes.push(lane);
    if (lane === 'read') return Promise.reject(new Error('read connection lost'));
    return inner.query<T>(sql, params, lane);
  };
  return { wrapped, lanes };
}

describe('the ids of the writer’s latest inserts', () => {
  it('are the ones inserted after a count, and unknown once no longer kept', () => {
    const completed = new CompletedInserts();
    completed.add(['a', 'b']);
    completed.add(['c']);
    expect(completed.since(2)).toEqual(new Set());
    expect(completed.since(1)).toEqual(new Set(['c']));
    expect(completed.since(0)).toEqual(new Set(['a', 'b', 'c']));
    for (let i = 0; i < 64; i++) completed.add([`x${i}`]);
    expect(completed.since(2)).toBeDefined();
    expect(completed.since(1)).toBeUndefined();
  });
});

describe('the look-up begun when events arrive', () => {
  it('counts an event inserted after it began as stored', async () => {
    const write = createWriteEventsStep({ store });
    const message = messageOf(storedEvent('early-after', { customerId: 'early-1' }));
    // Asked before the event is stored: the answer finds nothing.
    const early = write.lookUpEarly([message.eventId]);
    expect((await early)?.found.size).toBe(0);
    expect(await write([message])).toEqual(['stored']);
    // The same event again, with that answer: the insert in between makes it a duplicate.
    expect(await write([message], [early])).toEqual(['duplicate']);
    await write.settle();
    expect(await countsOf(store, [message.eventId], 'c:early-1')).toEqual({
      rows: 1,
      distinct: 1,
      projected: 1,
    });
  });

  it('finds an event stored before it began', async () => {
    const write = createWriteEventsStep({ store });
    const message = messageOf(storedEvent('early-before', { customerId: 'early-2' }));
    expect(await write([message])).toEqual(['stored']);
    const early = write.lookUpEarly([message.eventId]);
    expect((await early)?.found).toEqual(new Set([message.eventId]));
    expect(await write([message], [early])).toEqual(['duplicate']);
    await write.settle();
    expect(await countsOf(store, [message.eventId], 'c:early-2')).toMatchObject({ rows: 1 });
  });

  it('is asked again by the writer when it failed, or when too many inserts came after it', async () => {
    const { wrapped, lanes } = readsFailing(store);
    const write = createWriteEventsStep({ store: wrapped });
    const first = messageOf(storedEvent('early-failed', { customerId: 'early-3' }));
    const failed = write.lookUpEarly([first.eventId]);
    expect(await failed).toBeUndefined();
    expect(await write([first])).toEqual(['stored']);
    expect(await write([first], [failed])).toEqual(['duplicate']);

    // An answer older than the inserts the writer keeps: the writer looks the id up itself.
    const healthy = createWriteEventsStep({ store });
    const second = messageOf(storedEvent('early-stale', { customerId: 'early-3' }));
    const stale = healthy.lookUpEarly([second.eventId]);
    await stale;
    expect(await healthy([second])).toEqual(['stored']);
    for (let i = 0; i < 64; i++) {
      await healthy([messageOf(storedEvent(`early-filler-${i}`, { customerId: 'early-4' }))]);
    }
    expect(await healthy([second], [stale])).toEqual(['duplicate']);
    await write.settle();
    await healthy.settle();
    expect(lanes).toContain('write');
    expect(await countsOf(store, [first.eventId, second.eventId], 'c:early-3')).toEqual({
      rows: 2,
      distinct: 2,
      projected: 2,
    });
  });
});
