import { migrationsDir } from '@rapport/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  finishEventBlocks,
  insertEventBlock,
  journalEventBlocks,
  type EventBlock,
} from './event-journal.js';
import { loadMigrations, migrate, refuseLiveWriters } from './migrations.js';
import type { Store } from './store.js';
import { eventRow, insertRows, openTestStore, type TestStore } from './testing.js';

// Migrations 0026 and 0028 make the event log again in smaller granules on a store that already
// holds events, and a block of events a crash left unfinished before the upgrade among them.

const AT = Date.UTC(2024, 4, 1, 12);
let test: TestStore;
let store: Store;

/** The log, and each key's aggregates as the views keep them. */
async function summary(): Promise<unknown[][]> {
  const events = await store.query(
    'SELECT * FROM events ORDER BY customer_key, timestamp, event_id',
  );
  const stats = await store.query(
    `SELECT customer_key, sum(event_count) AS events, sum(orders) AS orders,
        toString(sum(revenue)) AS revenue
     FROM customer_stats GROUP BY customer_key ORDER BY customer_key`,
  );
  return [events, stats];
}

async function eventsTable(): Promise<{ engine_full: string; create_table_query: string }> {
  const [row] = await store.query<{ engine_full: string; create_table_query: string }>(
    "SELECT engine_full, create_table_query FROM system.tables WHERE database = currentDatabase() AND name = 'events'",
  );
  return row!;
}

const rowsAt = (from: number, count: number) =>
  Array.from({ length: count }, (_, n) => {
    const i = from + n;
    const customerId = `c${i % 30}`;
    const at = AT + i * 3_600_000;
    return i % 6 === 0
      ? eventRow({ type: 'purchase', customerId, at, amount: 10 + i, orderId: `o${i}` })
      : eventRow({ type: 'page_view', customerId, at, properties: { path: `/p/${i}` } });
  });

const block = (token: string, rows: readonly object[]): EventBlock => ({
  token,
  rows: rows.length,
  body: Buffer.from(rows.map((row) => JSON.stringify(row)).join('\n')),
});

beforeAll(async () => {
  test = await openTestStore({ database: 'upgrade', before: 26 });
  store = test.store;
  for (let at = 0; at < 240; at += 80) await insertRows(store, 'events', rowsAt(at, 80));
  // A block recorded as begun, inserted, and cut before its done mark: the next start inserts
  // it again under its token.
  const cut = block('cut-before-done', rowsAt(240, 40));
  await journalEventBlocks(store, { begun: [cut] });
  await insertEventBlock(store, { block: cut });
});

afterAll(async () => {
  await test?.dispose();
});

describe('migrations 0026 and 0028 on a store in use', () => {
  it('keeps every event once, the unfinished block included, in granules of 256 rows', async () => {
    const rows = await summary();
    expect(rows[0]).toHaveLength(280);
    expect((await eventsTable()).engine_full).toContain('index_granularity = 8192');
    expect((await migrate(store, migrationsDir)).applied).toEqual(expect.arrayContaining([26, 28]));
    // What the engine's start does next: the block was finished before the copy, so nothing
    // is inserted again into a table that no longer knows its token.
    expect((await finishEventBlocks(store)).blocks).toBe(0);
    expect(await summary()).toEqual(rows);
    const { engine_full, create_table_query } = await eventsTable();
    expect(engine_full).toContain('index_granularity = 256');
    expect(engine_full).toContain('max_compress_block_size = 8192');
    expect(create_table_query).toMatch(
      /`properties` String SETTINGS \(min_compress_block_size = 65536/,
    );
    expect(create_table_query).toContain('PROJECTION by_event_id');
    const left = await store.query(
      "SELECT name FROM system.tables WHERE database = currentDatabase() AND match(name, '^events_00(26|28)')",
    );
    expect(left).toEqual([]);
  });

  it('feeds every view as before', async () => {
    const late = eventRow({
      type: 'purchase',
      customerId: 'c1',
      at: AT,
      amount: 5,
      orderId: 'late',
    });
    await insertRows(store, 'events', [late]);
    const [row] = await store.query<{ orders: number | string }>(
      "SELECT sum(orders) AS orders FROM customer_stats WHERE customer_key = 'c:c1'",
    );
    const [events] = await store.query<{ orders: number | string }>(
      "SELECT count() AS orders FROM events WHERE customer_key = 'c:c1' AND type = 'purchase'",
    );
    expect(Number(row?.orders)).toBe(Number(events?.orders));
    const [byId] = await store.query<{ found: number | string }>(
      'SELECT count() AS found FROM events WHERE event_id = {id:String}',
      { id: late['event_id'] as string },
    );
    expect(Number(byId?.found)).toBe(1);
  });

  it.each([26, 28])(
    'keeps every event when %i runs again after a cut between its exchange and its drop',
    async (version) => {
      const rows = await summary();
      const { statements } = loadMigrations(migrationsDir).find((m) => m.version === version)!;
      const exchange = statements.findIndex((s) => s.startsWith('EXCHANGE'));
      for (const statement of statements.slice(0, exchange + 1)) await store.command(statement);
      for (const statement of statements) await store.command(statement);
      expect(await summary()).toEqual(rows);
    },
  );

  it('is refused on a cluster while events are being written', async () => {
    const migration = loadMigrations(migrationsDir).find((m) => m.version === 26)!;
    await journalEventBlocks(store, { done: ['just-now'] });
    await expect(refuseLiveWriters(store, migration)).rejects.toThrow(
      /26_events_small_granules copies tables, and events were written in the last 2 minutes.*Stop every pipeline service/,
    );
    await store.command('TRUNCATE TABLE event_journal');
    await expect(refuseLiveWriters(store, migration)).resolves.toBeUndefined();
  });
});
