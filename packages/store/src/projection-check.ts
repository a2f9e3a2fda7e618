import type { Logger } from '@rapport/observability';
import { LOWEST_NICE, cpuPrioritySetting } from './cpu-priority.js';
import { PROJECTION_CHECKS } from './projection-check-sql.js';
import { projections } from './replay.js';
import { chunkForUrl } from './sql.js';
import type { Store } from './store.js';

/** What a check found for one projection. */
export interface ProjectionDivergence {
  table: string;
  /** Keys (values of the projection's key column) whose rows differed from the log. */
  keys: string[];
  /** Whether those keys were rebuilt from the log. */
  repaired: boolean;
}

export interface ProjectionCheckResult {
  diverged: ProjectionDivergence[];
  /** Projections fed by a view that no check covers: a new view needs a check. */
  unchecked: string[];
  keysChecked: number;
}

/**
 * Keys per statement on the embedded store, in bytes as chunkForUrl counts them (tens of
 * thousands of keys). The rollups `report_types`, `report_daily` and `report_touches` are not
 * ordered by customer key first, so their checks read the whole table whatever the keys, and
 * every check costs nearly as much over 500 keys as over 5,000. A server takes keys in the URL,
 * capped (chunkForUrl's default).
 */
const EMBEDDED_KEY_BYTES = 1024 * 1024;

/** A check beside the writes: one thread, at the lowest CPU priority. */
const BESIDE_SETTINGS = `max_threads = 1, ${cpuPrioritySetting(LOWEST_NICE)}`;

const chunks = (store: Store, keys: readonly string[]) =>
  chunkForUrl(keys, store.mode === 'embedded' ? EMBEDDED_KEY_BYTES : undefined);

/**
 * Deletes the projection's rows of these keys and inserts them again from the log with the
 * query its view runs. Nothing may write these keys meanwhile: run it where writes are
 * serialised (the pipeline's writer, or start-up before events are taken).
 */
async function rebuildKeys(
  store: Store,
  target: { table: string; key: string; select: string },
  keys: readonly string[],
): Promise<void> {
  for (const part of chunks(store, keys)) {
    await store.command(
      `ALTER TABLE ${target.table} DELETE WHERE ${target.key} IN {keys:Array(String)} SETTINGS mutations_sync = 2`,
      { keys: part },
    );
    await store.command(
      `INSERT INTO ${target.table} SELECT * FROM (${target.select}) WHERE ${target.key} IN {keys:Array(String)}`,
      { keys: part },
    );
  }
}

/**
 * Compares every projection with the event log for these profile keys and, with `repair`,
 * rebuilds the keys that differ. Repair is refused on a cluster (each shard's local tables
 * would need it); the divergence is still reported. The comparisons run on the writer's
 * connection, as a repair must; `beside` the writes, they run on the jobs' connection, on one
 * thread and at the lowest CPU priority (background work: ingest, look-ups and streaming
 * evaluation get the cores first), without repair, and writes made meanwhile can show as
 * differences that are gone a moment later (see divergedProfileKeys).
 */
export async function checkProjections(
  store: Store,
  profileKeys: Iterable<string>,
  options: { repair?: boolean; logger?: Logger; beside?: boolean } = {},
): Promise<ProjectionCheckResult> {
  const keys = [...new Set(profileKeys)];
  const views = await projections(store);
  const checked = new Set(PROJECTION_CHECKS.map((check) => check.table));
  const unchecked = [...new Set(views.map((v) => v.table))].filter((t) => !checked.has(t));
  const diverged: ProjectionDivergence[] = [];
  const beside = options.beside ?? false;
  const repair = (options.repair ?? false) && !beside && store.cluster === undefined;
  for (const check of PROJECTION_CHECKS) {
    const view = views.find((v) => v.table === check.table);
    if (!view) continue;
    const found: string[] = [];
    for (const part of chunks(store, keys)) {
      const ids = part.filter((k) => k.startsWith('c:')).map((k) => k.slice(2));
      const rows = await store.query<{ key: string }>(
        beside ? `${check.sql}\nSETTINGS ${BESIDE_SETTINGS}` : check.sql,
        { keys: part, ids },
        beside ? 'jobs' : 'write',
      );
      found.push(...rows.map((row) => row.key));
    }
    if (found.length === 0) continue;
    if (repair) await rebuildKeys(store, { ...check, select: view.select }, found);
    options.logger?.error(
      { table: check.table, keys: found.length, repaired: repair },
      'a projection differed from the event log',
    );
    diverged.push({ table: check.table, keys: found, repaired: repair });
  }
  return { diverged, unchecked, keysChecked: keys.length };
}

/**
 * The profile keys whose projections a check found different: a projection keyed by customer
 * id names the profile `c:<id>`. What to check again where writes are serialised, after a check
 * that ran beside them.
 */
export function divergedProfileKeys(result: ProjectionCheckResult): Set<string> {
  const keyOf = new Map(PROJECTION_CHECKS.map((check) => [check.table, check.key]));
  const keys = new Set<string>();
  for (const { table, keys: found } of result.diverged) {
    const byCustomerId = keyOf.get(table) === 'customer_id';
    for (const key of found) keys.add(byCustomerId ? `c:${key}` : key);
  }
  return keys;
}

/**
 * The profile keys of events received since `since` (epoch ms), the most recently received
 * first, at most `limit`: what the tail check at start-up looks at. Reads the log's
 * received_at column once.
 */
export async function profileKeysReceivedSince(
  store: Store,
  options: { since: number; limit: number },
): Promise<string[]> {
  const rows = await store.query<{ key: string }>(
    `SELECT customer_key AS key FROM events
     WHERE received_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
     GROUP BY key ORDER BY max(received_at) DESC LIMIT {limit:UInt32}`,
    options,
    'write',
  );
  return rows.map((row) => row.key);
}
