import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventInsertSettings,
  finishEventBlocks,
  journalEventBlocks,
  unfinishedEventBlocks,
  type EventBlock,
} from './event-journal.js';
import { checkProjections } from './projection-check.js';
import type { Lane, QueryParams, Store } from './store.js';
import { eventRow, openTestStore, type TestStore } from './testing.js';

let test: TestStore;
beforeAll(async () => {
  test = await openTestStore();
});
afterAll(() => test.dispose());

const AT = Date.UTC(2024, 2, 1, 12);

/** A customer's purchase and identify (with an anonymous id and traits) as one block. */
function blockOf(customerId: string, token = `t-${customerId}`): EventBlock {
  const rows = [
    eventRow({ type: 'purchase', customerId, at: AT, amount: 12, orderId: `o-${customerId}` }),
    eventRow({
      type: 'identify',
      customerId,
      anonymousId: `anon-${customerId}`,
      at: AT + 1,
      properties: { traits: { email: `${customerId}@example.com`, plan: 'gold' } },
    }),
  ];
  return {
    token,
    rows: rows.length,
    body: Buffer.from(rows.map((row) => JSON.stringify(row)).join('\n')),
  };
}

/** The `events` part commits, then every view push fails (too many columns to read). */
async function insertWithoutViews(block: EventBlock) {
  await expect(
    test.store.insertJsonLines('events', block.body, {
      settings: { ...eventInsertSettings(block.token), max_columns_to_read: 1 },
    }),
  ).rejects.toThrow(/columns to read/);
}

describe('projections against the event log', () => {
  it('every projection a view feeds has a check', async () => {
    const result = await checkProjections(test.store, []);
    expect(result.unchecked).toEqual([]);
  });

  it('finds the profiles a view missed, in every projection, and rebuilds them', async () => {
    await test.store.insertJsonLines('events', blockOf('whole').body);
    await insertWithoutViews(blockOf('cut'));
    const keys = ['c:whole', 'c:cut', 'a:anon-cut'];
    const found = await checkProjections(test.store, keys, { repair: true });
    expect(found.diverged.map((d) => [d.table, d.keys, d.repaired])).toEqual([
      ['customer_stats', ['c:cut'], true],
      ['identity_links', ['cut'], true],
      ['customer_traits', ['cut'], true],
      ['trait_index', ['cut'], true],
      ['report_types', ['c:cut'], true],
      ['report_daily', ['c:cut'], true],
      ['report_touches', ['c:cut'], true],
      ['report_keys', ['c:cut'], true],
    ]);
    expect((await checkProjections(test.store, keys)).diverged).toEqual([]);
    const [stats] = await test.store.query<{ n: number; revenue: string }>(
      "SELECT sum(event_count) AS n, toString(sum(revenue)) AS revenue FROM customer_stats WHERE customer_key = 'c:cut'",
    );
    expect(stats).toEqual({ n: 2, revenue: '12' });
  });

  it('finds a profile counted twice', async () => {
    const block = blockOf('twice');
    await test.store.insertJsonLines('events', block.body, {
      settings: eventInsertSettings(block.token),
    });
    // A repeat without the views' own deduplication reaches them again.
    await test.store.insertJsonLines('events', block.body, {
      settings: {
        ...eventInsertSettings(block.token),
        deduplicate_blocks_in_dependent_materialized_views: 0,
      },
    });
    const found = await checkProjections(test.store, ['c:twice'], { repair: true });
    // A first and a last activity (report_keys) are the same counted twice.
    expect(found.diverged.map((d) => d.table)).toEqual([
      'customer_stats',
      'identity_links',
      'report_types',
      'report_daily',
      'report_touches',
    ]);
    expect((await checkProjections(test.store, ['c:twice'])).diverged).toEqual([]);
  });

  it('beside the writes, checks on the jobs’ connection, one thread, lowest priority', async () => {
    await insertWithoutViews(blockOf('beside'));
    const seen: { sql: string; lane: Lane | undefined }[] = [];
    const watching: Store = Object.create(test.store, {
      query: {
        value: (sql: string, params?: QueryParams, lane?: Lane) => {
          seen.push({ sql, lane });
          return test.store.query(sql, params, lane);
        },
      },
    }) as Store;
    const found = await checkProjections(watching, ['c:beside'], { beside: true, repair: true });
    expect(found.diverged.map((d) => [d.table, d.keys, d.repaired])).toContainEqual([
      'customer_stats',
      ['c:beside'],
      false,
    ]);
    const checks = seen.filter(({ sql }) => sql.includes('{keys:Array(String)}'));
    expect(checks.length).toBeGreaterThan(0);
    for (const { sql, lane } of checks) {
      expect(lane).toBe('jobs');
      expect(sql).toMatch(/SETTINGS max_threads = 1, os_thread_priority = 19$/);
    }
  });
});

describe('the journal of inserts into events', () => {
  it('inserts again a block begun and never done, once, and every view gets it once', async () => {
    const cut = blockOf('journal-cut');
    const whole = blockOf('journal-whole');
    await journalEventBlocks(test.store, { begun: [cut, whole] });
    await insertWithoutViews(cut);
    await test.store.insertJsonLines('events', whole.body, {
      settings: eventInsertSettings(whole.token),
    });
    expect((await unfinishedEventBlocks(test.store)).map((b) => b.token)).toEqual([
      cut.token,
      whole.token,
    ]);
    expect(await finishEventBlocks(test.store)).toEqual({
      blocks: 2,
      rows: 4,
      abandoned: 0,
      keys: ['c:journal-cut', 'c:journal-whole'],
    });
    expect(await unfinishedEventBlocks(test.store)).toEqual([]);
    const keys = ['c:journal-cut', 'c:journal-whole'];
    expect((await checkProjections(test.store, keys)).diverged).toEqual([]);
    const [events] = await test.store.query<{ n: number }>(
      "SELECT count() AS n FROM events WHERE customer_key IN ('c:journal-cut', 'c:journal-whole')",
    );
    expect(events?.n).toBe(4);
  });

  it('gives up a block the store refuses for good, so that it cannot stop every start', async () => {
    const bad: EventBlock = { token: 't-bad', rows: 1, body: Buffer.from('{"event_id": [') };
    await journalEventBlocks(test.store, { begun: [bad] });
    expect(await finishEventBlocks(test.store)).toEqual({
      blocks: 1,
      rows: 1,
      abandoned: 1,
      keys: [],
    });
    expect(await unfinishedEventBlocks(test.store)).toEqual([]);
  });
});
