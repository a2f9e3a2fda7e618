import type { SegmentChange } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suppressedEvents, suppressKeys } from './suppression.js';
import { SuppressionMemo } from './suppression-memo.js';

let test: TestStore;

beforeAll(async () => {
  test = await openTestStore();
}, 120_000);

afterAll(async () => {
  await test?.dispose();
});

/** The store, counting the queries that read the suppression list. */
function counting(store: Store) {
  const counted = { reads: 0 };
  const wrapped: Store = {
    ...store,
    mode: store.mode,
    database: store.database,
    query: (sql, params, lane) => {
      if (sql.includes('suppressed_keys')) counted.reads++;
      return store.query(sql, params, lane);
    },
    command: (sql, params, lane) => store.command(sql, params, lane),
    insertJsonLines: (table, body, options) => store.insertJsonLines(table, body, options),
    ping: () => store.ping(),
    close: () => store.close(),
  };
  return { store: wrapped, counted };
}

const of = (customerId: string | null, anonymousId: string | null = null) =>
  ({ customerId, anonymousId }) satisfies Pick<SegmentChange, 'customerId' | 'anonymousId'>;

describe('SuppressionMemo', () => {
  it('answers from memory while the list is unchanged, and sees keys put on it once told', async () => {
    const { store, counted } = counting(test.store);
    const memo = new SuppressionMemo(store);
    const page = [of('memo-a'), of(null, 'memo-dev'), of('memo-b', 'memo-dev')];
    expect(await memo.suppressedChanges(page)).toEqual([false, false, false]);
    expect(await memo.suppressedChanges(page)).toEqual([false, false, false]);
    expect(counted.reads).toBe(1);

    // An erasure puts the device on the list, then says so (ErasureService's onSuppressed).
    await suppressKeys(test.store, { keys: ['a:memo-dev'], erasureId: 'e-memo', at: Date.now() });
    memo.changed();
    expect(await memo.suppressedChanges(page)).toEqual([false, true, true]);
    expect(await memo.suppressedChanges([of('memo-a')])).toEqual([false]);
    expect(counted.reads).toBe(2);
  });

  it('tells the events of a batch that are an erased customer’s or device’s, as the store does', async () => {
    const { store, counted } = counting(test.store);
    const memo = new SuppressionMemo(store);
    const batch = [
      { key: 'c:memo-ev-a' },
      { key: 'c:memo-ev-b', anonymousId: 'memo-ev-dev' },
      { key: 'a:memo-ev-other', anonymousId: 'memo-ev-other' },
    ];
    expect(await memo.suppressedEvents(batch)).toEqual([false, false, false]);
    await suppressKeys(test.store, {
      keys: ['c:memo-ev-a', 'a:memo-ev-dev'],
      erasureId: 'e-memo-ev',
      at: Date.now(),
    });
    memo.changed();
    expect(await memo.suppressedEvents(batch)).toEqual([true, true, false]);
    expect(await memo.suppressedEvents(batch)).toEqual(await suppressedEvents(test.store, batch));
    expect(counted.reads).toBe(2);
  });

  it('asks the store at every check when the list is longer than it holds', async () => {
    await suppressKeys(test.store, {
      keys: ['c:memo-long-1', 'c:memo-long-2'],
      erasureId: 'e-memo-long',
      at: Date.now(),
    });
    const { store, counted } = counting(test.store);
    const memo = new SuppressionMemo(store, 1);
    const page = [of('memo-long-1'), of('memo-other')];
    expect(await memo.suppressedChanges(page)).toEqual([true, false]);
    const reads = counted.reads;
    expect(await memo.suppressedChanges(page)).toEqual([true, false]);
    expect(counted.reads).toBeGreaterThan(reads);
  });
});
