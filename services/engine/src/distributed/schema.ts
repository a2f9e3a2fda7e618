import { migrationsDir } from '@rapport/schemas';
import type { Config } from '@rapport/config';
import { openStore, pendingMigrations, type Store } from '@rapport/store';

/** Rejects while the store lacks migrations this build knows: `rapport migrate` applies them. */
export async function checkSchema(store: Store): Promise<void> {
  const pending = await pendingMigrations(store, migrationsDir);
  if (pending.length > 0) {
    throw new Error(
      `pending migrations ${pending.map((m) => m.version).join(', ')}; run "rapport migrate"`,
    );
  }
}

/** Opens the store a service reads and writes, refusing (and closing it) on a stale schema. */
export async function openCheckedStore(config: Config['store']): Promise<Store> {
  const store = await openStore(config);
  try {
    await checkSchema(store);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
