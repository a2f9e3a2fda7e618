import type { Logger } from '@rapport/observability';
import { StoreError } from './errors.js';
import type { Store } from './store.js';

export interface RebuiltProjection {
  view: string;
  table: string;
  rows: number;
  seconds: number;
}

interface View {
  name: string;
  as_select: string;
  create_table_query: string;
}

/** Materialized views of the database and the tables they feed. */
export async function projections(
  store: Store,
): Promise<{ view: string; table: string; select: string }[]> {
  const views = await store.query<View>(
    `SELECT name, as_select, create_table_query FROM system.tables
     WHERE database = currentDatabase() AND engine = 'MaterializedView' ORDER BY name`,
  );
  return views.map((view) => {
    const target = /\bTO\s+(?:`?[A-Za-z0-9_]+`?\.)?`?([A-Za-z0-9_]+)`?/.exec(
      view.create_table_query,
    );
    if (!target?.[1]) {
      throw new StoreError(
        'rejected',
        `materialized view ${view.name} writes to no table of its own`,
      );
    }
    return { view: view.name, table: target[1], select: view.as_select };
  });
}

/**
 * Drops every projection's rows and rebuilds them from `events` with the very query its
 * materialized view runs on insert, so a replay and the streaming path give the same rows.
 * Run it while nothing writes events (the embedded store allows one process anyway).
 */
export async function rebuildProjections(
  store: Store,
  options: {
    logger?: Logger;
    onProgress?: (done: number, total: number, table: string) => void;
  } = {},
): Promise<RebuiltProjection[]> {
  if (store.cluster !== undefined) {
    throw new StoreError(
      'rejected',
      `replay rebuilds one server's tables; on cluster ${store.cluster} rebuild each shard's *_local tables instead (see infra/README.md)`,
    );
  }
  const all = await projections(store);
  for (const { table } of all) await store.command(`TRUNCATE TABLE ${table}`);
  const rebuilt: RebuiltProjection[] = [];
  for (const [index, { view, table, select }] of all.entries()) {
    options.onProgress?.(index, all.length, table);
    const started = performance.now();
    await store.command(`INSERT INTO ${table} ${select}`);
    const [count] = await store.query<{ n: number }>(`SELECT count() AS n FROM ${table}`);
    const seconds = (performance.now() - started) / 1000;
    rebuilt.push({ view, table, rows: Number(count?.n ?? 0), seconds });
    options.logger?.info({ view, table, seconds }, 'projection rebuilt');
  }
  options.onProgress?.(all.length, all.length, '');
  return rebuilt;
}
