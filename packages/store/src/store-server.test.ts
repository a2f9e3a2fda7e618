import { randomUUID } from 'node:crypto';
import { migrationsDir } from '@rapport/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findClickHouse } from './clickhouse-target.js';
import { migrate, pendingMigrations } from './migrations.js';
import { openStore, type Store } from './store.js';

const clickhouse = await findClickHouse();
if (clickhouse.skip) console.info(`ClickHouse-server store tests skipped: ${clickhouse.skip}`);

describe.skipIf(clickhouse.skip !== undefined)('store on a ClickHouse server (http)', () => {
  const database = `store_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  let store: Store;

  beforeAll(async () => {
    const server = await clickhouse.server();
    store = await openStore({ mode: 'http', ...server, database });
  }, 180_000);

  afterAll(async () => {
    await store?.command(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
    await store?.close();
    await clickhouse.stop();
  });

  it('answers ping and creates its database', async () => {
    await store.ping();
    const [row] = await store.query<{ db: string }>('SELECT currentDatabase() AS db');
    expect(row?.db).toBe(database);
  });

  it('applies the migrations once and records them', async () => {
    expect((await migrate(store, migrationsDir)).applied[0]).toBe(1);
    expect(await migrate(store, migrationsDir)).toEqual({ applied: [] });
    expect(await pendingMigrations(store, migrationsDir)).toEqual([]);
  });

  it('inserts JSON lines, reads 64-bit integers as numbers, and keeps nested objects as text', async () => {
    const row = {
      event_id: 'srv-1',
      type: 'purchase',
      customer_key: 'c:42',
      customer_id: '42',
      anonymous_id: '',
      timestamp: Date.UTC(2024, 4, 1, 12, 0, 0, 123),
      original_timestamp: Date.UTC(2024, 4, 1, 12, 0, 0, 123),
      sent_at: null,
      received_at: Date.UTC(2024, 4, 1, 12, 0, 1),
      channel: 'web',
      order_id: 'o-1',
      amount: 12.5,
      currency: 'EUR',
      amount_original: 11.25,
      context: {},
      properties: { orderId: 'o-1', note: 'tab\there "quoted"' },
    };
    await store.insertJsonLines('events', Buffer.from(JSON.stringify(row)));
    const [read] = await store.query<{ ms: number; n: number; properties: string }>(
      `SELECT toUnixTimestamp64Milli(timestamp) AS ms, toUInt64(1) AS n, properties FROM events
       WHERE event_id = {id:String}`,
      { id: 'srv-1' },
    );
    expect(read?.ms).toBe(row.timestamp);
    expect(read?.n).toBe(1);
    expect(JSON.parse(read?.properties ?? '')).toEqual(row.properties);
  });

  it('drops a repeated insert by its deduplication token, and the token stays with that insert', async () => {
    const line = (id: string) =>
      Buffer.from(
        JSON.stringify({
          event_id: id,
          type: 'track',
          customer_key: 'c:tok',
          customer_id: 'tok',
          anonymous_id: '',
          timestamp: Date.UTC(2024, 4, 1),
          original_timestamp: Date.UTC(2024, 4, 1),
          sent_at: null,
          received_at: Date.UTC(2024, 4, 1),
          channel: 'web',
          order_id: '',
          amount: 0,
          currency: '',
          amount_original: 0,
          context: {},
          properties: { name: 'x' },
        }),
      );
    const settings = { insert_deduplication_token: 'rapport.events.v1-0-0-0~test' };
    await store.insertJsonLines('events', line('tok-1'), { settings });
    await store.insertJsonLines('events', line('tok-2'), { settings });
    await store.insertJsonLines('events', line('tok-3'));
    const rows = await store.query<{ event_id: string }>(
      "SELECT event_id FROM events WHERE customer_key = 'c:tok' ORDER BY event_id",
    );
    expect(rows.map((r) => r.event_id)).toEqual(['tok-1', 'tok-3']);
    const [stats] = await store.query<{ n: number }>(
      "SELECT sum(event_count) AS n FROM customer_stats WHERE customer_key = 'c:tok'",
    );
    expect(Number(stats?.n)).toBe(2);
  });
});

const cluster = process.env.CLICKHOUSE_CLUSTER;
describe.skipIf(clickhouse.skip !== undefined || cluster === undefined)(
  'store on a ClickHouse cluster (CLICKHOUSE_CLUSTER)',
  () => {
    it('sends every statement with foreground distributed inserts and global subqueries', async () => {
      const server = await clickhouse.server();
      const database = `store_cluster_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      const store = await openStore({ mode: 'http', ...server, database, cluster });
      try {
        const [row] = await store.query<{ sync: string | number; mode: string }>(
          "SELECT toString(getSetting('insert_distributed_sync')) AS sync, toString(getSetting('distributed_product_mode')) AS mode",
        );
        expect(row).toEqual({ sync: '1', mode: 'global' });
      } finally {
        await store.command(`DROP DATABASE IF EXISTS ${database} ON CLUSTER ${cluster}`);
        await store.close();
      }
    });
  },
);
