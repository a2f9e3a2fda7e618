import { LOCAL_SUFFIX, type Store } from '@rapport/store';

/**
 * Columns that say whose a row is. A table holding any of them is reached by erasure, so a
 * table added later is covered without being listed here.
 */
export const SUBJECT_COLUMNS = ['customer_key', 'profile_key', 'customer_id', 'anonymous_id'];

/**
 * Tables erasure leaves to their own rule: its own records (no personal data once an erasure
 * is done), the migrations ledger, and the event journal, whose bodies are rewritten line by
 * line (see erase-journal.ts).
 */
const APART = new Set(['erasures', 'suppressed_keys', 'audit_log', 'schema_migrations']);
export const JOURNAL_TABLE = 'event_journal';

/** A table that holds customers' rows, and how to reach them. */
export interface ErasureTarget {
  /** The table reads go through (the distributed table on a cluster). */
  table: string;
  /** What an ALTER … DELETE names: the table, or `db.t_local ON CLUSTER c` on a cluster. */
  mutate: string;
  /** `WHERE` condition over the subject parameters (see subjectParams), for reads. */
  where: string;
  /**
   * The same condition over 64-bit hashes of the subject's profile keys (`{keyMarks}`, see
   * keyMarks), for deletes: a mutation's text is kept by the engine (system.mutations, and a
   * file beside the table), so it must not name the customer. cityHash64, not SHA-256: a
   * mutation evaluates it on every row, and SHA-256 made a delete from 4 M events 3.5 times
   * slower (4.7 s against 1.3 s).
   */
  hashedWhere: string;
}

const hashOf = (expression: string) =>
  `toString(cityHash64(${expression})) IN {keyMarks:Array(String)}`;

/** conditionOf over key hashes: `c:<customer_id>` and `a:<anonymous_id>` are profile keys. */
function hashedConditionOf(columns: Set<string>): string {
  const parts: string[] = [];
  for (const column of ['customer_key', 'profile_key']) {
    if (columns.has(column)) parts.push(hashOf(column));
  }
  if (columns.has('customer_id'))
    parts.push(`customer_id != '' AND ${hashOf("concat('c:', customer_id)")}`);
  if (columns.has('anonymous_id')) {
    const anonymous = `anonymous_id != '' AND ${hashOf("concat('a:', anonymous_id)")}`;
    parts.push(columns.has('customer_id') ? `${anonymous} AND customer_id = ''` : anonymous);
  }
  return parts.map((part) => `(${part})`).join(' OR ');
}

/** What each subject column must match. Parameters: customerId, keys, anonymousIds. */
function conditionOf(columns: Set<string>): string {
  const parts: string[] = [];
  for (const column of ['customer_key', 'profile_key']) {
    if (columns.has(column)) parts.push(`${column} IN {keys:Array(String)}`);
  }
  if (columns.has('customer_id')) parts.push('customer_id = {customerId:String}');
  // An anonymous id's rows under another customer's id are that customer's (a shared device
  // linked to them before): only rows without a customer id go with the anonymous id.
  if (columns.has('anonymous_id')) {
    parts.push(
      columns.has('customer_id')
        ? "(anonymous_id IN {anonymousIds:Array(String)} AND customer_id = '')"
        : 'anonymous_id IN {anonymousIds:Array(String)}',
    );
  }
  return parts.map((part) => `(${part})`).join(' OR ');
}

interface ColumnRow {
  table: string;
  engine: string;
  column: string;
}

/**
 * Every table of the database that holds a customer's rows, found from its columns. On a
 * cluster, reads go through the distributed tables and deletes to each shard's replicated
 * `*_local` table ON CLUSTER (a mutation of a replicated table reaches its replicas).
 */
export async function erasureTargets(store: Store): Promise<ErasureTarget[]> {
  const rows = await store.query<ColumnRow>(
    `SELECT c.table AS table, t.engine AS engine, c.name AS column
     FROM system.columns AS c
     INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
     WHERE c.database = currentDatabase() AND c.name IN {columns:Array(String)}
       AND (t.engine LIKE '%MergeTree' OR t.engine = 'Distributed')
     ORDER BY c.table, c.name`,
    { columns: SUBJECT_COLUMNS },
  );
  const tables = new Map<string, { engine: string; columns: Set<string> }>();
  for (const row of rows) {
    if (APART.has(row.table) || row.table === JOURNAL_TABLE) continue;
    const entry = tables.get(row.table) ?? { engine: row.engine, columns: new Set<string>() };
    entry.columns.add(row.column);
    tables.set(row.table, entry);
  }
  const onCluster = store.cluster !== undefined;
  const targets: ErasureTarget[] = [];
  for (const [table, { engine, columns }] of tables) {
    if (
      onCluster &&
      table.endsWith(LOCAL_SUFFIX) &&
      tables.has(table.slice(0, -LOCAL_SUFFIX.length))
    ) {
      continue;
    }
    const mutate =
      onCluster && engine === 'Distributed'
        ? `${store.database}.${table}${LOCAL_SUFFIX} ON CLUSTER ${store.cluster}`
        : table;
    targets.push({
      table,
      mutate,
      where: conditionOf(columns),
      hashedWhere: hashedConditionOf(columns),
    });
  }
  return targets;
}
