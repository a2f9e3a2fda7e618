import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrationsDir } from '@rapport/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, pendingMigrations } from './migrations.js';
import { onLane } from './on-lane.js';
import { openStore, type Store } from './store.js';

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-store-'));
  store = await openStore({
    mode: 'embedded',
    dataDir: join(dir, 'data'),
    database: 'store_test',
    readConnections: 2,
  });
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The store as a cluster member would be, refusing any statement but a query. */
function readOnlyClusterView(inner: Store) {
  const commands: string[] = [];
  const view = Object.create(inner) as Store & { cluster: string };
  Object.defineProperty(view, 'cluster', { value: 'rapport_cluster' });
  view.command = (sql: string) => {
    commands.push(sql);
    return Promise.reject(new Error(`a schema check sent a statement: ${sql.slice(0, 60)}`));
  };
  return { view, commands };
}

describe('embedded store', () => {
  it('checks for pending migrations without sending any statement (readiness probes call it)', async () => {
    const { view, commands } = readOnlyClusterView(store);
    const before = await pendingMigrations(view, migrationsDir);
    expect(before.length).toBeGreaterThan(0);
    expect(commands).toEqual([]);
  });

  it('applies the migrations once and records them', async () => {
    expect((await pendingMigrations(store, migrationsDir)).length).toBeGreaterThan(0);
    const first = await migrate(store, migrationsDir);
    expect(first.applied[0]).toBe(1);
    expect(await migrate(store, migrationsDir)).toEqual({ applied: [] });
    expect(await pendingMigrations(store, migrationsDir)).toEqual([]);
    const { view, commands } = readOnlyClusterView(store);
    expect(await pendingMigrations(view, migrationsDir)).toEqual([]);
    expect(commands).toEqual([]);
    const tables = await store.query<{ name: string }>(
      'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name',
    );
    expect(tables.map((table) => table.name)).toEqual(
      expect.arrayContaining(['events', 'identity_links', 'schema_migrations']),
    );
  });

  it('refuses a migration whose file changed after it was applied', async () => {
    const custom = join(dir, 'migrations');
    mkdirSync(custom);
    writeFileSync(
      join(custom, '0001_t.sql'),
      'CREATE TABLE IF NOT EXISTS t_a (x UInt8) ENGINE = Memory;',
    );
    const isolated = await openStore({
      mode: 'embedded',
      dataDir: join(dir, 'data'),
      database: 'store_test_checksum',
      readConnections: 1,
    });
    try {
      await migrate(isolated, custom);
      writeFileSync(
        join(custom, '0001_t.sql'),
        'CREATE TABLE IF NOT EXISTS t_b (x UInt8) ENGINE = Memory;',
      );
      await expect(migrate(isolated, custom)).rejects.toThrow(/was changed after it was applied/);
    } finally {
      await isolated.close();
    }
  });

  it('inserts JSON lines with nested objects kept as text and reads them on another connection', async () => {
    const row = {
      event_id: 'e-1',
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
      properties: { orderId: 'o-1', note: 'tab\there "quoted"\nnewline' },
    };
    await store.insertJsonLines('events', Buffer.from(JSON.stringify(row) + '\n'));
    const [read] = await store.query<{ ms: number; properties: string; amount: number }>(
      `SELECT toUnixTimestamp64Milli(timestamp) AS ms, properties, amount FROM events
       WHERE event_id = {id:String}`,
      { id: 'e-1' },
    );
    expect(read?.ms).toBe(row.timestamp);
    expect(read?.amount).toBe(12.5);
    expect(JSON.parse(read?.properties ?? '')).toEqual(row.properties);
  });

  it('refuses a table name that is not a plain identifier', async () => {
    await expect(
      store.insertJsonLines('events; DROP TABLE events', Buffer.from('{}')),
    ).rejects.toThrow(/bad table name/);
  });
});

describe('lanes', () => {
  it('takes long lists of values written into the SQL on every connection', async () => {
    for (const lane of ['write', 'read', 'read', 'heavy', 'jobs', 'background'] as const) {
      const [row] = await store.query<{ size: number }>(
        "SELECT getSetting('max_query_size') AS size",
        {},
        lane,
      );
      expect(Number(row?.size)).toBe(16 * 1024 * 1024);
    }
    // 100,000 keys (about 2.5 MB of SQL), well past ClickHouse's default of 256 KiB.
    const keys = Array.from({ length: 100_000 }, (_, i) => `c:customer-${i}`);
    const [row] = await store.query<{ n: number }>(
      'SELECT count() AS n FROM (SELECT arrayJoin({keys:Array(String)}) AS k) WHERE k IN {keys:Array(String)}',
      { keys },
    );
    expect(Number(row?.n)).toBe(100_000);
  });

  it('runs job statements on a connection of their own: a long one holds up no other lane', async () => {
    const jobs = onLane(store, 'jobs');
    const finished: string[] = [];
    // The longest sleep the engine allows in one block.
    const long = jobs.query('SELECT sleep(3)', {}, 'write').then(() => finished.push('jobs'));
    await Promise.all(
      (['write', 'read', 'read', 'heavy'] as const).map((lane) =>
        store.query('SELECT 1', {}, lane).then(() => finished.push(lane)),
      ),
    );
    await long;
    expect(finished).toHaveLength(5);
    expect(finished.at(-1)).toBe('jobs');
  });

  it('runs background statements on a connection of their own: a long one holds up no read', async () => {
    const finished: string[] = [];
    const long = store
      .query('SELECT sleep(3)', {}, 'background')
      .then(() => finished.push('background'));
    await Promise.all(
      (['write', 'read', 'read', 'read', 'heavy', 'jobs'] as const).map((lane) =>
        store.query('SELECT 1', {}, lane).then(() => finished.push(lane)),
      ),
    );
    await long;
    expect(finished).toHaveLength(7);
    expect(finished.at(-1)).toBe('background');
  });
});
