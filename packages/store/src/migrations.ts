import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@rapport/observability';
import { clusterLedger, renderMigrations } from './cluster-ddl.js';
import { StoreError } from './errors.js';
import { finishEventBlocks } from './event-journal.js';
import type { Store } from './store.js';

export interface Migration {
  version: number;
  name: string;
  checksum: string;
  statements: string[];
}

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Splits a file into statements at semicolons that end a line (comments dropped). */
function statementsOf(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '');
}

export function loadMigrations(dir: string): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = FILE.exec(file);
      if (!match?.[1] || !match[2]) {
        throw new Error(`migration file ${file} must be named NNNN_name.sql`);
      }
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(match[1]),
        name: match[2],
        checksum: createHash('sha256').update(sql).digest('hex'),
        statements: statementsOf(sql),
      };
    });
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migrations must be numbered 1, 2, 3…; found ${migration.version}`);
    }
  });
  return migrations;
}

const LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations
(
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY version`;

interface Applied {
  version: number;
  name: string;
  checksum: string;
}

async function appliedMigrations(store: Store): Promise<Applied[]> {
  await store.command(
    store.cluster === undefined
      ? LEDGER
      : clusterLedger({ cluster: store.cluster, database: store.database }),
  );
  return store.query<Applied>(
    'SELECT version, any(name) AS name, any(checksum) AS checksum FROM schema_migrations GROUP BY version ORDER BY version',
  );
}

/** Whether the store's database has `table`; reads system.tables only (no DDL). */
async function tableExists(store: Store, table: string): Promise<boolean> {
  const [row] = await store.query<{ present: number | string }>(
    'SELECT count() AS present FROM system.tables WHERE database = {database:String} AND name = {table:String}',
    { database: store.database, table },
  );
  return Number(row?.present ?? 0) > 0;
}

/**
 * The ledger as it is, or nothing when it was never created; reads only. Readiness probes
 * call this, so it must not send DDL: on a cluster each ON CLUSTER statement is a Keeper task
 * that waits for every host (up to 180 s when one is down).
 */
async function recordedMigrations(store: Store): Promise<Applied[]> {
  if (!(await tableExists(store, 'schema_migrations'))) return [];
  return store.query<Applied>(
    'SELECT version, any(name) AS name, any(checksum) AS checksum FROM schema_migrations GROUP BY version ORDER BY version',
  );
}

/** Migrations known to this build that the store has not recorded yet. Sends no DDL. */
export async function pendingMigrations(store: Store, dir: string): Promise<Migration[]> {
  const applied = new Map((await recordedMigrations(store)).map((row) => [row.version, row]));
  return loadMigrations(dir).filter((migration) => !applied.has(migration.version));
}

/** Rows written within this long before a remake on a cluster mean live writers. */
const QUIET_MS = 120_000;

/**
 * Before each pending migration that makes a table again. On a cluster, rows written during
 * the copy would be lost with the old table: the remake is refused while the event journal, or
 * a copied table that shows its writes, has rows written in the last two minutes
 * (refuseLiveWriters). Before the first (`finishJournal`): a copy starts with an empty
 * deduplication window, so a block of events a crash left unfinished, inserted again after it,
 * would be stored twice by the copy. Every such block is inserted again first, while every
 * table still knows its token, and so under the schema of the version that wrote it.
 */
async function beforeRemake(
  store: Store,
  migration: Migration,
  finishJournal: boolean,
  logger?: Logger,
): Promise<void> {
  if (!(await tableExists(store, 'event_journal'))) return;
  if (store.cluster !== undefined) await refuseLiveWriters(store, migration);
  if (!finishJournal) return;
  const finished = await finishEventBlocks(store, {
    ...(logger ? { logger } : {}),
    ...(store.cluster === undefined ? {} : { settings: { distributed_foreground_insert: 1 } }),
  });
  logger?.info(
    { migration: `${migration.version}_${migration.name}`, reinserted: finished.blocks },
    'copying tables into a new layout; on a large store this takes minutes',
  );
}

/**
 * Besides events, the writes a copy of these tables would lose, as the table itself shows them:
 * membership intervals (streaming evaluation in the pipelines, the segments job and the window
 * sweep in the jobs service) carry the time of the evaluation that wrote them. A check, not a
 * lock: a segments run that began more than two minutes ago writes older times, which is why
 * the upgrade step says to stop those services first.
 */
const RECENT_ROWS: Record<string, { sql: string; writers: string }> = {
  segment_membership: {
    sql: 'SELECT count() AS recent FROM segment_membership WHERE updated_at > now64(3) - toIntervalMillisecond({quietMs:UInt32})',
    writers: 'every pipeline and jobs service',
  },
};

/**
 * The tables a migration makes again (copies each and gives the copy its name), as its file
 * names them: a cluster's rendered statements name the local tables.
 */
function exchanged(migration: Migration): string[] {
  return migration.statements.flatMap((statement) => {
    const match = /^EXCHANGE\s+TABLES\s+(\w+)\s+AND\s+\w+/i.exec(statement);
    return match ? [match[1]!] : [];
  });
}

/**
 * Refuses `migration`, which copies tables, while rows are being written: the event journal
 * records every block of events before its insert, and a table in RECENT_ROWS shows its own.
 */
export async function refuseLiveWriters(store: Store, migration: Migration): Promise<void> {
  const checks = [
    {
      sql: 'SELECT count() AS recent FROM event_journal WHERE written_at > now64(3) - toIntervalMillisecond({quietMs:UInt32})',
      what: 'events were',
      writers: 'every pipeline service',
    },
    ...exchanged(migration).flatMap((table) => {
      const check = RECENT_ROWS[table];
      return check ? [{ ...check, what: `rows of ${table} were` }] : [];
    }),
  ];
  for (const { sql, what, writers } of checks) {
    const [row] = await store.query<{ recent: number | string }>(sql, { quietMs: QUIET_MS });
    if (Number(row?.recent ?? 0) === 0) continue;
    throw new StoreError(
      'rejected',
      `migration ${migration.version}_${migration.name} copies tables, and ${what} written ` +
        `in the last ${QUIET_MS / 60_000} minutes: rows written during the copy would be lost. ` +
        `Stop ${writers}, wait two minutes, and run migrate again`,
    );
  }
}

/**
 * Applies pending migrations in order and records each. Statements are idempotent
 * (IF NOT EXISTS), so a run cut short is finished by the next one. An applied migration
 * whose file changed since is refused: schema history is append-only too. Before one that
 * makes a table again, see beforeRemake.
 */
export async function migrate(
  store: Store,
  dir: string,
  logger?: Logger,
): Promise<{ applied: number[] }> {
  const applied = new Map((await appliedMigrations(store)).map((row) => [row.version, row]));
  const done: number[] = [];
  let journalFinished = false;
  // On a cluster the same files build replicated tables with distributed ones in front.
  const sources = loadMigrations(dir);
  const migrations =
    store.cluster === undefined
      ? sources
      : renderMigrations(sources, { cluster: store.cluster, database: store.database });
  for (const [index, migration] of migrations.entries()) {
    const previous = applied.get(migration.version);
    if (previous) {
      if (previous.checksum !== migration.checksum) {
        throw new StoreError(
          'rejected',
          `migration ${migration.version}_${migration.name} was changed after it was applied; ` +
            'add a new migration instead',
        );
      }
      continue;
    }
    if (exchanged(sources[index]!).length > 0) {
      await beforeRemake(store, sources[index]!, !journalFinished, logger);
      journalFinished = true;
    }
    for (const statement of migration.statements) await store.command(statement);
    await store.command(
      'INSERT INTO schema_migrations (version, name, checksum) VALUES ({version:UInt32}, {name:String}, {checksum:String})',
      { version: migration.version, name: migration.name, checksum: migration.checksum },
    );
    logger?.info({ migration: `${migration.version}_${migration.name}` }, 'migration applied');
    done.push(migration.version);
  }
  return { applied: done };
}
