import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { customerKeyOf, migrationsDir } from '@rapport/schemas';
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
  options: {
    database?: string;
    readConnections?: number;
    /** Applies only the migrations numbered below this one: a store as an older version left it. */
    before?: number;
  } = {},
): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'rapport-test-'));
  let migrations = migrationsDir;
  if (options.before !== undefined) {
    migrations = join(dir, 'migrations');
    mkdirSync(migrations);
    const below = `${String(options.before).padStart(4, '0')}_`;
    for (const file of readdirSync(migrationsDir).filter((name) => name < below)) {
      copyFileSync(join(migrationsDir, file), join(migrations, file));
    }
  }
  const store = await openStore({
    mode: 'embedded',
    dataDir: dir,
    database: options.database ?? 'rapport_test',
    readConnections: options.readConnections ?? 1,
  });
  await migrate(store, migrations);
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

export interface EventRowInput {
  type: string;
  /** The profile is `c:<customerId>` when given, else `a:<anonymousId>`. */
  customerId?: string;
  anonymousId?: string;
  /** Epoch ms: when it happened, was sent and was received. */
  at: number;
  eventId?: string;
  channel?: string;
  orderId?: string;
  /** In the reporting currency; stored as the original amount too. */
  amount?: number;
  currency?: string;
  properties?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

let eventRows = 0;

/** An `events` row as the pipeline stores it, for tests that write the log directly. */
export function eventRow(input: EventRowInput): Record<string, unknown> {
  const customerId = input.customerId ?? '';
  const anonymousId = input.anonymousId ?? '';
  return {
    event_id: input.eventId ?? `row-${++eventRows}`,
    type: input.type,
    customer_key: customerKeyOf(customerId !== '' ? { customerId } : { anonymousId }),
    customer_id: customerId,
    anonymous_id: anonymousId,
    timestamp: input.at,
    original_timestamp: input.at,
    sent_at: null,
    received_at: input.at,
    channel: input.channel ?? 'web',
    order_id: input.orderId ?? '',
    amount: input.amount ?? 0,
    currency: input.currency ?? '',
    amount_original: input.amount ?? 0,
    context: JSON.stringify(input.context ?? {}),
    properties: JSON.stringify(input.properties ?? {}),
  };
}
