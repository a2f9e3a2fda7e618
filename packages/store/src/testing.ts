import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrationsDir } from '@rapport/schemas';
import { migrate } from './migrations.js';
import { openStore, type Store } from './store.js';

export interface TestStore {
  store: Store;
  dir: string;
  /** Closes the store and removes its directory. */
  dispose(): Promise<void>;
}

/**
 * A migrated embedded store in a fresh directory, for tests. A process can open one store
 * path only: a test file opens one and shares it among its tests.
 */
export async function openTestStore(
  options: { database?: string; readConnections?: number } = {},
): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-test-'));
  const store = await openStore({
    mode: 'embedded',
    dataDir: dir,
    database: options.database ?? 'rapport_test',
    readConnections: options.readConnections ?? 1,
  });
  await migrate(store, migrationsDir);
  return {
    store,
    dir,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Inserts rows as JSON lines into `table`, in one insert. */
export async function insertRows(store: Store, table: string, rows: readonly object[]) {
  if (rows.length === 0) return;
  await store.insertJsonLines(
    table,
    Buffer.from(rows.map((row) => JSON.stringify(row)).join('\n')),
  );
}
