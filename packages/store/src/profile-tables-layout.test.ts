import { migrationsDir } from '@rapport/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from './migrations.js';
import type { Store } from './store.js';
import { eventRow, insertRows, openTestStore, type TestStore } from './testing.js';

// Migration 0025 makes customer_stats, customer_traits and identity_links again with small
// granules, on a store that already holds their rows: an upgrade, as a store built by the
// migrations before it meets it.

const AT = Date.UTC(2024, 4, 1, 12);
let test: TestStore;
let store: Store;

/** Every key's aggregates, traits and links, finalised: what profiles read of the tables. */
async function summary(): Promise<unknown[][]> {
  const stats = await store.query(
    `SELECT customer_key, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
        sum(event_count) AS events, sumMap(events_by_type) AS by_type,
        uniqExactMerge(visit_days) AS visits, sum(orders) AS orders, toString(sum(revenue)) AS revenue,
        toString(argMaxMerge(last_order)) AS last_order, sumMap(email_actions) AS email,
        sumMap(categories) AS categories
     FROM customer_stats GROUP BY customer_key ORDER BY customer_key`,
  );
  const traits = await store.query(
    `SELECT customer_id, trait, argMaxMerge(value) AS value FROM customer_traits
     GROUP BY customer_id, trait ORDER BY customer_id, trait`,
  );
  const links = await store.query(
    'SELECT * FROM identity_links ORDER BY anonymous_id, at, event_id, customer_id, linked',
  );
  return [stats, traits, links];
}

const TABLES = ['customer_stats', 'customer_traits', 'identity_links'];

/** Each table's engine and settings. */
async function layouts(): Promise<string[]> {
  const rows = await store.query<{ engine_full: string }>(
    'SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name IN {tables:Array(String)} ORDER BY name',
    { tables: TABLES },
  );
  return rows.map((row) => row.engine_full);
}

beforeAll(async () => {
  test = await openTestStore({ database: 'upgrade', before: 25 });
  store = test.store;
  const rows = Array.from({ length: 300 }, (_, i) => {
    const customerId = `c${i % 40}`;
    const at = AT + i * 3_600_000;
    if (i % 7 === 0)
      return eventRow({ type: 'purchase', customerId, at, amount: 10 + i, orderId: `o${i}` });
    if (i % 11 === 0) {
      return eventRow({
        type: 'identify',
        customerId,
        anonymousId: `device-${i}`,
        at,
        properties: { traits: { plan: `p${i}`, email: `${customerId}@example.com` } },
      });
    }
    if (i % 5 === 0)
      return eventRow({ type: 'email', customerId, at, properties: { action: 'opened' } });
    return eventRow({ type: 'page_view', customerId, at, channel: i % 2 ? 'web' : 'mobile' });
  });
  // Several inserts: several parts, as a store in use holds.
  for (let at = 0; at < rows.length; at += 100)
    await insertRows(store, 'events', rows.slice(at, at + 100));
});

afterAll(async () => {
  await test?.dispose();
});

describe('migration 0025 on a store in use', () => {
  it('keeps every row of the three tables and gives them granules of 128 rows', async () => {
    const rows = await summary();
    expect(rows.map((table) => table.length)).toEqual([40, 48, 24]);
    for (const layout of await layouts()) expect(layout).not.toContain('index_granularity = 128');
    expect((await migrate(store, migrationsDir)).applied).toContain(25);
    expect(await summary()).toEqual(rows);
    const after = await layouts();
    expect(after).toHaveLength(3);
    for (const layout of after) {
      expect(layout).toContain('index_granularity = 128');
      expect(layout).toContain('min_compress_block_size = 4096');
    }
    const left = await store.query(
      "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE '%_0025%'",
    );
    expect(left).toEqual([]);
  });

  it('are fed by their views as before', async () => {
    await insertRows(store, 'events', [
      eventRow({ type: 'purchase', customerId: 'c1', at: AT, amount: 5, orderId: 'late' }),
    ]);
    const [row] = await store.query<{ orders: number | string }>(
      "SELECT sum(orders) AS orders FROM customer_stats WHERE customer_key = 'c:c1'",
    );
    const [events] = await store.query<{ orders: number | string }>(
      "SELECT count() AS orders FROM events WHERE customer_key = 'c:c1' AND type = 'purchase'",
    );
    expect(Number(row?.orders)).toBe(Number(events?.orders));
  });

  it('keeps every row when run again after a cut between its exchange and its last drop', async () => {
    const rows = await summary();
    const { statements } = loadMigrations(migrationsDir).find((m) => m.version === 25)!;
    const exchange = statements.findIndex((s) => s.startsWith('EXCHANGE'));
    for (const statement of statements.slice(0, exchange + 1)) await store.command(statement);
    for (const statement of statements) await store.command(statement);
    expect(await summary()).toEqual(rows);
  });
});
