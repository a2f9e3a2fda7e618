import type { Store } from '@rapport/store';
import { resolveSubject, subjectParams } from './erase-customer.js';
import { erasureTargets, type ErasureTarget } from './erasure-targets.js';

/** Events per query of an export: a customer's history is read page by page, never whole. */
const EVENT_PAGE = 5000;
/** Rows of any other table per customer in an export, at most. */
const TABLE_ROWS = 100_000;

/** One line of an export: a row of one table (or the profile) as stored. */
export interface ExportLine {
  table: string;
  row: unknown;
}

/** Columns readable as JSON (aggregate states are binary; their values are in the profile). */
async function readableColumns(store: Store, table: string): Promise<string[]> {
  const rows = await store.query<{ name: string }>(
    `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {table:String}
       AND type NOT LIKE 'AggregateFunction%' ORDER BY position`,
    { table },
  );
  return rows.map((row) => row.name);
}

async function* eventPages(
  store: Store,
  target: ErasureTarget,
  params: ReturnType<typeof subjectParams>,
): AsyncGenerator<ExportLine> {
  let after: { ts: string; id: string } | undefined;
  for (;;) {
    const rows = await store.query<
      Record<string, unknown> & { timestamp: string; event_id: string }
    >(
      `SELECT * FROM events WHERE (${target.where})
         ${after ? "AND (timestamp, event_id) > ({afterTs:DateTime64(3, 'UTC')}, {afterId:String})" : ''}
       ORDER BY timestamp, event_id LIMIT ${EVENT_PAGE}`,
      { ...params, ...(after ? { afterTs: after.ts, afterId: after.id } : {}) },
      'heavy',
    );
    for (const row of rows) yield { table: 'events', row };
    const last = rows[rows.length - 1];
    if (!last || rows.length < EVENT_PAGE) return;
    after = { ts: last.timestamp, id: last.event_id };
  }
}

/**
 * Everything the store holds about one customer, line by line: `profile` first (when given),
 * then every event (paged, oldest first), then the rows of every other table that erasure
 * reaches (identity links, scores of every run, segment membership and results, features…):
 * what an export gives is exactly what an erasure removes.
 */
export async function* exportCustomer(
  store: Store,
  input: { customerId: string; profile?: unknown },
): AsyncGenerator<ExportLine> {
  if (input.profile !== undefined) yield { table: 'profile', row: input.profile };
  const subject = await resolveSubject(store, { customerId: input.customerId });
  const params = subjectParams(subject);
  for (const target of await erasureTargets(store)) {
    if (target.table === 'events') {
      yield* eventPages(store, target, params);
      continue;
    }
    const columns = await readableColumns(store, target.table);
    if (columns.length === 0) continue;
    const rows = await store.query<Record<string, unknown>>(
      `SELECT ${columns.map((c) => `\`${c}\``).join(', ')} FROM ${target.table}
       WHERE ${target.where} LIMIT ${TABLE_ROWS}`,
      params,
      'heavy',
    );
    for (const row of rows) yield { table: target.table, row };
  }
}
