import { linkedAnonymousIds, profileKey } from '@rapport/profiles';
import type { Store } from '@rapport/store';
import { eraseFromJournal } from './erase-journal.js';
import type { ErasureReceipt, ErasureSubject } from './erasure-ledger.js';
import { erasureTargets, JOURNAL_TABLE, type ErasureTarget } from './erasure-targets.js';
import { suppressKeys } from './suppression.js';

/** The customer's profile keys: theirs and those of the anonymous ids they own. */
export function subjectKeys(subject: Required<ErasureSubject>): string[] {
  return [
    profileKey({ customerId: subject.customerId }),
    ...subject.anonymousIds.map((anonymousId) => profileKey({ anonymousId })),
  ];
}

/** The query parameters of the erasure conditions that read (clear ids). */
export function subjectParams(subject: Required<ErasureSubject>) {
  return {
    customerId: subject.customerId,
    keys: subjectKeys(subject),
    anonymousIds: subject.anonymousIds,
  };
}

/** The 64-bit hashes (cityHash64, as decimal strings) that deletes name the keys by. */
async function keyMarks(store: Store, keys: string[]): Promise<string[]> {
  const [row] = await store.query<{ marks: string[] }>(
    'SELECT arrayMap(k -> toString(cityHash64(k)), {keys:Array(String)}) AS marks',
    { keys },
  );
  return row?.marks ?? [];
}

/** The anonymous ids to erase with the customer: those they own now (latest link). */
export async function resolveSubject(
  store: Store,
  subject: ErasureSubject,
): Promise<Required<ErasureSubject>> {
  return {
    customerId: subject.customerId,
    anonymousIds: subject.anonymousIds ?? (await linkedAnonymousIds(store, subject.customerId)),
  };
}

async function eraseFrom(
  store: Store,
  target: ErasureTarget,
  params: ReturnType<typeof subjectParams> & { keyMarks: string[] },
): Promise<number> {
  const [count] = await store.query<{ n: number | string }>(
    `SELECT count() AS n FROM ${target.table} WHERE ${target.where}`,
    params,
  );
  const rows = Number(count?.n ?? 0);
  if (rows === 0) return 0;
  // A mutation rewrites the parts that hold the rows: the data is gone from disk, not only
  // hidden (a lightweight DELETE masks rows until a merge, and is refused on `events`, which
  // has a projection). mutations_sync = 2 returns once every replica has applied it.
  await store.command(
    `ALTER TABLE ${target.mutate} DELETE WHERE ${target.hashedWhere} SETTINGS mutations_sync = 2`,
    { keyMarks: params.keyMarks },
  );
  return rows;
}

/**
 * Erases one customer: suppresses their keys first (so events arriving meanwhile are
 * dropped), then deletes their rows from every table that holds customers' rows and from the
 * event journal. A second pass catches rows a batch already past the suppression check wrote
 * during the first. Safe to run again after a crash: each step deletes what is left.
 */
export async function eraseCustomer(
  store: Store,
  input: {
    erasureId: string;
    subject: Required<ErasureSubject>;
    now: () => number;
    /** Once no new event of theirs can be stored: background writers let go of the keys. */
    onSuppressed?: ((keys: string[]) => Promise<void>) | undefined;
  },
): Promise<ErasureReceipt> {
  const started = performance.now();
  const keys = subjectKeys(input.subject);
  await suppressKeys(store, { keys, erasureId: input.erasureId, at: input.now() });
  await input.onSuppressed?.(keys);
  const params = { ...subjectParams(input.subject), keyMarks: await keyMarks(store, keys) };
  const removed = new Map<string, number>();
  const add = (table: string, rows: number) => removed.set(table, (removed.get(table) ?? 0) + rows);
  const targets = await erasureTargets(store);
  for (let pass = 0; pass < 2; pass++) {
    for (const target of targets) add(target.table, await eraseFrom(store, target, params));
    add(JOURNAL_TABLE, await eraseFromJournal(store, params));
  }
  const tables = [...removed].map(([table, rows]) => ({ table, rows }));
  return {
    tables,
    rowsRemoved: tables.reduce((sum, entry) => sum + entry.rows, 0),
    keysSuppressed: keys.length,
    seconds: Math.round(performance.now() - started) / 1000,
  };
}
