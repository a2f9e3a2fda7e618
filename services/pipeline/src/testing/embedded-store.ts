import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrationsDir } from '@rapport/schemas';
import { migrate, openStore, type Store } from '@rapport/store';

/** A migrated embedded store in a fresh directory (one per test file: one path per process). */
export async function openTestStore(): Promise<{ store: Store; dispose: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-pipeline-'));
  const store = await openStore({
    mode: 'embedded',
    dataDir: dir,
    database: 'pipeline_test',
    readConnections: 1,
  });
  await migrate(store, migrationsDir);
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** How often each of these event ids is in `events`, and the event count the projection has. */
export async function countsOf(
  store: Store,
  eventIds: string[],
  customerKey: string,
): Promise<{ rows: number; distinct: number; projected: number }> {
  const [events] = await store.query<{ rows: number; distinct: number }>(
    `SELECT count() AS rows, uniqExact(event_id) AS distinct FROM events
     WHERE event_id IN {ids:Array(String)}`,
    { ids: eventIds },
  );
  const [stats] = await store.query<{ n: number }>(
    'SELECT sum(event_count) AS n FROM customer_stats WHERE customer_key = {key:String}',
    { key: customerKey },
  );
  return {
    rows: Number(events?.rows ?? 0),
    distinct: Number(events?.distinct ?? 0),
    projected: Number(stats?.n ?? 0),
  };
}
