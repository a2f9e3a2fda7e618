import type { Logger } from '@rapport/observability';
import { toStoreError } from './errors.js';
import type { Store } from './store.js';

/** One block of the event log as it is inserted: its rows and the token that names it. */
export interface EventBlock {
  /** The insert deduplication token: the same rows always get the same token. */
  token: string;
  /** Newline-delimited JSON rows, exactly as they are sent to `events`. */
  body: Buffer;
  rows: number;
}

/**
 * Settings of every insert into `events`. With the token, a repeat of a block is dropped by
 * `events` and by every view target that already holds it (each target has a deduplication
 * window), while a target that missed it receives it: without
 * `deduplicate_blocks_in_dependent_materialized_views` a repeat reaches every view again and
 * is counted twice (measured on the embedded engine, 26.7).
 *
 * `optimize_on_insert = 0`: every aggregating view already groups its block by its table's
 * sorting key, so merging the rows of each new part again (the default) only costs time, about
 * a tenth of an insert's CPU; `trait_index` keeps a repeated row until a merge, as across parts.
 */
export function eventInsertSettings(token: string): Record<string, string | number> {
  return {
    insert_deduplication_token: token,
    deduplicate_blocks_in_dependent_materialized_views: 1,
    optimize_on_insert: 0,
  };
}

/** Inserts a block into `events` and, through its views, into every projection. */
export function insertEventBlock(
  store: Store,
  { block, settings = {} }: { block: EventBlock; settings?: Record<string, string | number> },
): Promise<void> {
  return store.insertJsonLines('events', block.body, {
    settings: { ...settings, ...eventInsertSettings(block.token) },
  });
}

const row = (token: string, done: 0 | 1, rows = 0, body = '') =>
  JSON.stringify({ token, done, rows, body });

/**
 * Records blocks about to be inserted (their rows kept until they are done) and blocks whose
 * insert returned, in one insert. A block must be recorded before its insert begins, with the
 * same `settings` as the events (on a cluster: a foreground insert, so the record is durable).
 */
export async function journalEventBlocks(
  store: Store,
  entries: {
    begun?: readonly EventBlock[];
    done?: readonly string[];
    settings?: Record<string, string | number> | undefined;
  },
): Promise<void> {
  const { settings } = entries;
  const lines = [
    ...(entries.done ?? []).map((token) => row(token, 1)),
    ...(entries.begun ?? []).map((block) =>
      row(block.token, 0, block.rows, block.body.toString('utf8')),
    ),
  ];
  if (lines.length === 0) return;
  await store.insertJsonLines(
    'event_journal',
    Buffer.from(lines.join('\n')),
    settings && Object.keys(settings).length > 0 ? { settings } : undefined,
  );
}

/** Blocks recorded as begun and never marked done, oldest first. */
export async function unfinishedEventBlocks(store: Store): Promise<EventBlock[]> {
  const rows = await store.query<{ token: string; rows: number; body: string }>(
    `SELECT token, any(rows) AS rows, anyIf(body, done = 0) AS body
     FROM event_journal GROUP BY token HAVING max(done) = 0 ORDER BY min(written_at), token`,
    undefined,
    'write',
  );
  return rows.map((r) => ({ token: r.token, rows: Number(r.rows), body: Buffer.from(r.body) }));
}

/**
 * Inserts again every block whose insert was begun and never confirmed — cut by a crash, or
 * failed in a view after `events` committed — then marks them done. Safe to run at any time
 * and from several processes: each repeat carries its block's token, so nothing lands twice.
 * A block the store refuses for good (a row no view can take) is logged, counted as
 * `abandoned` and marked done, so that it cannot stop every start; the projection check
 * then reports what it left short. `keys` are the customer keys of every block's rows: the
 * profiles a check should compare with the log (a table made again since the block was first
 * inserted no longer knows its token, and takes the block a second time).
 */
export async function finishEventBlocks(
  store: Store,
  options: { logger?: Logger; settings?: Record<string, string | number> } = {},
): Promise<{ blocks: number; rows: number; abandoned: number; keys: string[] }> {
  const unfinished = await unfinishedEventBlocks(store);
  let abandoned = 0;
  for (const block of unfinished) {
    try {
      await insertEventBlock(store, { block, settings: options.settings });
      options.logger?.warn(
        { token: block.token, rows: block.rows },
        'an insert into events was cut short; its block was inserted again for the views',
      );
    } catch (caught) {
      const error = toStoreError(caught, 'inserting an unfinished block again');
      if (error.retriable) throw error;
      abandoned++;
      options.logger?.error(
        { err: error, token: block.token, rows: block.rows },
        'an unfinished block of events cannot be inserted again; given up',
      );
    }
  }
  if (unfinished.length > 0) {
    await journalEventBlocks(store, {
      done: unfinished.map((block) => block.token),
      settings: options.settings,
    });
  }
  const rows = unfinished.reduce((sum, block) => sum + block.rows, 0);
  return { blocks: unfinished.length, rows, abandoned, keys: [...customerKeysOf(unfinished)] };
}

/** The customer keys of the blocks' rows; a line that is no JSON object names none. */
function customerKeysOf(blocks: readonly EventBlock[]): Set<string> {
  const keys = new Set<string>();
  for (const block of blocks) {
    for (const line of block.body.toString('utf8').split('\n')) {
      try {
        const key = (JSON.parse(line) as { customer_key?: unknown }).customer_key;
        if (typeof key === 'string') keys.add(key);
      } catch {
        // Not a row: it named no profile.
      }
    }
  }
  return keys;
}
