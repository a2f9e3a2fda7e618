import { migrationsDir } from '@rapport/schemas';
import { pendingMigrations, type Store } from '@rapport/store';

/** Rejects while the store lacks migrations this build knows: `rapport migrate` applies them. */
export async function checkSchema(store: Store): Promise<void> {
  const pending = await pendingMigrations(store, migrationsDir);
  if (pending.length > 0) {
    throw new Error(
      `pending migrations ${pending.map((m) => m.version).join(', ')}; run "rapport migrate"`,
    );
  }
}
