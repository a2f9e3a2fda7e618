import { migrationsDir } from '@rapport/schemas';
import type { Config } from '@rapport/config';
import type { Logger, Metrics } from '@rapport/observability';
import { observeStatements, openStore, pendingMigrations, type Store } from '@rapport/store';

/** Rejects while the store lacks migrations this build knows: `rapport migrate` applies them. */
export async function checkSchema(store: Store): Promise<void> {
  const pending = await pendingMigrations(store, migrationsDir);
  if (pending.length > 0) {
    throw new Error(
      `pending migrations ${pending.map((m) => m.version).join(', ')}; run "rapport migrate"`,
    );
  }
}

/**
 * Opens the store a service reads and writes, its statements timed and the slow ones logged,
 * refusing (and closing it) on a stale schema.
 */
export async function openCheckedStore(
  config: Config,
  observer: { logger: Logger; metrics: Metrics },
): Promise<Store> {
  const store = observeStatements(await openStore(config.store), {
    ...observer,
    slowMs: config.slowStatementMs,
  });
  try {
    await checkSchema(store);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
