import type { Store } from '@rapport/store';

export { chunkForUrl, formatDateTime64, type Store } from '@rapport/store';

/** Inserts rows as JSON lines into one of this package's tables, in one insert. */
export async function insertRowsOf(store: Store, table: string, rows: readonly object[]) {
  if (rows.length === 0) return;
  await store.insertJsonLines(
    table,
    Buffer.from(rows.map((row) => JSON.stringify(row)).join('\n')),
  );
}
