import { migrationsDir } from '@rapport/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrate, refuseLiveWriters } from './migrations.js';
import { formatDateTime64 as time } from './sql.js';
import type { Store } from './store.js';
import { insertRows, openTestStore, type TestStore } from './testing.js';

// Migration 0027 makes segment_membership again with small granules on a store that already
// holds intervals, open and closed, some replaced by a newer version of the same row.

const AT = Date.UTC(2024, 4, 1, 12);
let test: TestStore;
let store: Store;

const interval = (n: number, updated: number, exited: boolean) => ({
  profile_key: `c:customer-${n % 60}`,
  segment_id: `segment-${n % 7}`,
  entered_at: time(AT + n * 1_000),
  exited_at: exited ? time(AT + n * 1_000 + 500) : null,
  version: 1,
  exited_version: exited ? 1 : null,
  entered_run: `run-${n}`,
  exited_run: exited ? `run-${n}-exit` : '',
  updated_at: time(updated),
});

/** The intervals as every reader sees them (FINAL: the newest version of each). */
const intervals = () =>
  store.query(
    'SELECT * FROM segment_membership FINAL ORDER BY profile_key, segment_id, entered_at',
  );

const layout = async () => {
  const [row] = await store.query<{ engine_full: string }>(
    "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'segment_membership'",
  );
  return row?.engine_full ?? '';
};

beforeAll(async () => {
  test = await openTestStore({ database: 'upgrade', before: 27 });
  store = test.store;
  const open = Array.from({ length: 400 }, (_, n) => interval(n, AT + n, false));
  // A third of them closed later: the same rows again, newer.
  const closed = open
    .filter((_, n) => n % 3 === 0)
    .map((_, i) => interval(i * 3, AT + 10_000_000, true));
  for (let at = 0; at < open.length; at += 100)
    await insertRows(store, 'segment_membership', open.slice(at, at + 100));
  await insertRows(store, 'segment_membership', closed);
});

afterAll(async () => {
  await test?.dispose();
});

describe('migration 0027 on a store in use', () => {
  it('keeps every interval, each in its newest version, in granules of 256 rows', async () => {
    const before = await intervals();
    expect(before).toHaveLength(400);
    expect(await layout()).not.toContain('index_granularity = 256');
    expect((await migrate(store, migrationsDir)).applied).toContain(27);
    expect(await intervals()).toEqual(before);
    expect(await layout()).toContain('index_granularity = 256');
    const left = await store.query(
      "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE '%_0027%'",
    );
    expect(left).toEqual([]);
    const [open] = await store.query<{ open: number | string }>(
      "SELECT count() AS open FROM segment_membership FINAL WHERE profile_key = 'c:customer-3' AND exited_at IS NULL",
    );
    expect(Number(open?.open)).toBe(before.filter((row) => isOpenOf(row, 'c:customer-3')).length);
  });

  it('keeps every interval when run again after a cut between its exchange and its drop', async () => {
    const rows = await intervals();
    const { statements } = loadMigrations(migrationsDir).find((m) => m.version === 27)!;
    const exchange = statements.findIndex((s) => s.startsWith('EXCHANGE'));
    for (const statement of statements.slice(0, exchange + 1)) await store.command(statement);
    for (const statement of statements) await store.command(statement);
    expect(await intervals()).toEqual(rows);
  });

  it('is refused on a cluster while intervals are being written', async () => {
    const migration = loadMigrations(migrationsDir).find((m) => m.version === 27)!;
    await insertRows(store, 'segment_membership', [{ ...interval(999, Date.now(), false) }]);
    await expect(refuseLiveWriters(store, migration)).rejects.toThrow(
      /27_segment_membership_small_granules copies tables, and rows of segment_membership were written in the last 2 minutes.*Stop every pipeline and jobs service/,
    );
    await store.command('TRUNCATE TABLE segment_membership');
    await expect(refuseLiveWriters(store, migration)).resolves.toBeUndefined();
  });
});

function isOpenOf(row: unknown, profileKey: string): boolean {
  const { profile_key, exited_at } = row as { profile_key: string; exited_at: unknown };
  return profile_key === profileKey && exited_at === null;
}
