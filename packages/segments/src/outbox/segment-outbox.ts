import { parseProfileKey, profileKey } from '@rapport/profiles';
import { isoOf, segmentChangeSchema, type SegmentChange } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { readNewestDefinitions } from '../store/definitions.js';
import {
  ADVANCE_SQL,
  APPEND_SQL,
  CURSOR_SQL,
  MAX_SEQ_SQL,
  NEWEST_SQL,
  PAGE_SQL,
  PENDING_SQL,
  UNRECORDED_CHANGES_SQL,
  WRITER_MAX_SEQ_SQL,
  WRITERS_SQL,
} from './outbox-sql.js';

/** A recorded change and its place in the outbox. */
export interface OutboxEntry {
  seq: number;
  change: SegmentChange;
}

/** How far back, before the newest recorded change, start-up looks for unrecorded ones. */
const RECOVERY_MARGIN_MS = 10 * 60_000;

/**
 * Payload bytes an append writes as a statement on a read connection, at most (embedded): its
 * values are written into the SQL text, within the engine's max_query_size (256 KiB).
 */
const STATEMENT_APPEND_BYTES = 96 * 1024;

/** Changes one insert into the outbox takes, at most (see append()). */
const APPEND_CHUNK = 20_000;

/** Changes of its own a writer keeps in memory for its outlets, at most (see page()). */
const TAIL_ENTRIES = 20_000;

/** The first index of `entries` (ordered by seq) whose seq is past `after`. */
function firstAfter(entries: readonly OutboxEntry[], after: number): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (entries[mid]!.seq <= after) low = mid + 1;
    else high = mid;
  }
  return low;
}

const keyOf = (change: SegmentChange) =>
  change.customerId === null
    ? profileKey({ anonymousId: change.anonymousId ?? '' })
    : profileKey({ customerId: change.customerId });

/**
 * The segment change outbox: every entry and exit written as a membership interval is
 * appended in the order written; outlets read it from their own cursor. Appends are
 * serialised within a writer (a process that evaluates segments); several writers (the
 * pipeline processes of distributed mode) append under their own names, each in its own
 * order, and an outlet keeps a cursor per writer (`outlet@writer`; the writer '' — the
 * embedded engine — under `outlet`).
 */
export class SegmentOutbox {
  private lastSeq: number | undefined;
  /**
   * What this process appended lately, in order: every change of its writer with a seq past
   * `from` is in `entries`, so outlets at or past `from` read pages here, not from the store.
   * Dropped when an append fails (it may have left rows the tail does not hold).
   */
  private tail: { from: number; entries: OutboxEntry[] } | undefined;
  private readonly keepsTail: boolean;
  /** Appends run one at a time, so that seqs are stored in the order they are given. */
  private appending: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<() => void>();
  /** The name this process appends under ('' for the one writer of an embedded engine). */
  readonly writer: string;

  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
    options: {
      writer?: string;
      /**
       * Keep this process's recent changes in memory for its outlets (see page()). Only where
       * every erasure of the store is known to call forgetTail() (the embedded engine): what
       * waits in memory would otherwise outlive an erasure that removes it from the store.
       */
      tail?: boolean;
    } = {},
  ) {
    this.writer = options.writer ?? '';
    this.keepsTail = options.tail === true;
  }

  /**
   * Changes recorded so far are read from the store again, where an erasure removes a
   * customer's: called once the customer's keys are suppressed, before their rows go.
   */
  forgetTail(): void {
    if (this.tail !== undefined && this.lastSeq !== undefined) {
      this.tail = { from: this.lastSeq, entries: [] };
    }
  }

  /** Calls `listener` after each append (outlets wake up at once rather than at their poll). */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Appends the changes in order, under increasing seqs: microseconds of the time, or past
   * the last seq when the clock has not moved on; in inserts of APPEND_CHUNK changes at most
   * (a run at a million people changes more than one insert's text can hold). Retried after a
   * failure, the same changes are written again under new seqs only where the first attempt
   * left nothing, or some of its inserts went through (readers take one row per seq, and
   * outlets deliver by change id to receivers that drop repeats).
   */
  append(changes: readonly SegmentChange[]): Promise<void> {
    if (changes.length === 0) return Promise.resolve();
    const done = this.appending.then(async () => {
      for (let i = 0; i < changes.length; i += APPEND_CHUNK) {
        await this.appendNow(changes.slice(i, i + APPEND_CHUNK));
      }
    });
    this.appending = done.catch(() => undefined);
    return done;
  }

  private async appendNow(changes: readonly SegmentChange[]): Promise<void> {
    if (this.lastSeq === undefined) {
      this.lastSeq = Number(
        (await this.store.query<{ seq: number }>(WRITER_MAX_SEQ_SQL, { writer: this.writer }))[0]
          ?.seq ?? 0,
      );
      if (this.keepsTail) this.tail = { from: this.lastSeq, entries: [] };
    }
    const now = this.clock();
    let seq = Math.max(this.lastSeq, now * 1000);
    const entries: OutboxEntry[] = [];
    const rows = changes.map((change) => {
      seq++;
      const payload = JSON.stringify(change);
      // As a reader of the store gets it back.
      entries.push({ seq, change: segmentChangeSchema.parse(JSON.parse(payload)) });
      return { seq, change, payload };
    });
    try {
      await this.write(rows, now);
    } catch (error) {
      // The rows may be stored or not: the next append starts after what the store holds.
      this.lastSeq = undefined;
      this.tail = undefined;
      throw error;
    }
    this.lastSeq = seq;
    this.keep(entries);
    for (const listener of this.listeners) listener();
  }

  /**
   * Writes the rows in one insert. A few changes (a streaming evaluation's) go as a statement
   * on a read connection of the embedded engine: its insert connection is the ingest batch
   * writer's, and an append there waited behind event inserts.
   */
  private async write(
    rows: readonly { seq: number; change: SegmentChange; payload: string }[],
    now: number,
  ): Promise<void> {
    const bytes = rows.reduce((sum, row) => sum + row.payload.length, 0);
    if (this.store.mode === 'embedded' && bytes <= STATEMENT_APPEND_BYTES) {
      await this.store.command(
        APPEND_SQL,
        {
          writer: this.writer,
          recordedAt: now,
          seqs: rows.map((row) => row.seq),
          ids: rows.map((row) => row.change.id),
          profiles: rows.map((row) => keyOf(row.change)),
          segments: rows.map((row) => row.change.segmentId),
          payloads: rows.map((row) => row.payload),
        },
        'read',
      );
      return;
    }
    const lines = rows.map(({ seq, change, payload }) =>
      JSON.stringify({
        seq,
        writer: this.writer,
        change_id: change.id,
        profile_key: keyOf(change),
        segment_id: change.segmentId,
        recorded_at: now,
        payload,
      }),
    );
    await this.store.insertJsonLines('segment_outbox_by_writer', Buffer.from(lines.join('\n')));
  }

  private keep(entries: readonly OutboxEntry[]): void {
    if (this.tail === undefined) return;
    this.tail.entries.push(...entries);
    const over = this.tail.entries.length - TAIL_ENTRIES;
    if (over > 0) {
      this.tail.from = this.tail.entries[over - 1]!.seq;
      this.tail.entries.splice(0, over);
    }
  }

  /** The outlet's cursor: the last seq it took. A new outlet starts at the end. */
  async cursor(outlet: string): Promise<number> {
    const [row] = await this.store.query<{ seq: number; n: number }>(CURSOR_SQL, { outlet });
    if (row && Number(row.n) > 0) return Number(row.seq);
    const [max] = await this.store.query<{ seq: number }>(MAX_SEQ_SQL);
    const start = Number(max?.seq ?? 0);
    await this.begin(outlet, start);
    return start;
  }

  /**
   * The outlet's cursor in one writer's changes. A writer first seen by this outlet is read
   * from the outlet's own cursor (where the outlet started: seqs are times in microseconds).
   */
  async writerCursor(outlet: string, writer: string): Promise<number> {
    if (writer === '') return this.cursor(outlet);
    const name = `${outlet}@${writer}`;
    const [row] = await this.store.query<{ seq: number; n: number }>(CURSOR_SQL, { outlet: name });
    if (row && Number(row.n) > 0) return Number(row.seq);
    const start = await this.cursor(outlet);
    await this.begin(name, start);
    return start;
  }

  /** Not on the write lane, where it would wait behind (and hold up) ingest's inserts. */
  async advance(outlet: string, seq: number): Promise<void> {
    await this.store.command(ADVANCE_SQL, { outlet, seq, at: this.clock() }, 'read');
  }

  /**
   * Where a cursor no one wrote starts, written as older than any advance: a reader that found
   * it missing and writes it after the outlet has taken changes (the dispatcher and a reader
   * of its cursors at the same time) must not move it back, and the newest write wins.
   */
  private async begin(outlet: string, seq: number): Promise<void> {
    await this.store.command(ADVANCE_SQL, { outlet, seq, at: 0 }, 'read');
  }

  /** Every writer that appended after seq `after` (default: ever), and its last seq. */
  async writers(after = 0): Promise<{ writer: string; seq: number }[]> {
    const rows = await this.store.query<{ writer: string; last_seq: number }>(WRITERS_SQL, {
      after,
    });
    return rows.map((row) => ({ writer: row.writer, seq: Number(row.last_seq) }));
  }

  /**
   * Up to `limit` changes of a writer (default '') after `after`, in order. This process's own
   * recent changes are read from memory (what it appended is durable by then); the store is
   * read for older ones and other writers'.
   */
  async page(after: number, limit: number, writer = ''): Promise<OutboxEntry[]> {
    const tail = this.tail;
    if (writer === this.writer && tail !== undefined && after >= tail.from) {
      const start = firstAfter(tail.entries, after);
      return tail.entries.slice(start, start + limit);
    }
    const rows = await this.store.query<{ seq: number; payload: string }>(PAGE_SQL, {
      writer,
      after,
      limit,
    });
    return rows.map((row) => ({
      seq: Number(row.seq),
      change: segmentChangeSchema.parse(JSON.parse(row.payload)),
    }));
  }

  async pending(after: number, writer = ''): Promise<number> {
    const [row] = await this.store.query<{ n: number }>(PENDING_SQL, { writer, after });
    return Number(row?.n ?? 0);
  }

  /**
   * At start-up: the changes written as intervals but not recorded (the process stopped in
   * between) are appended, oldest first, with the ids and times they were written with.
   * Looks back from a little before the newest recorded change; an empty outbox has nothing
   * to compare with (before it existed, changes went straight to the outlets).
   */
  async recover(): Promise<number> {
    const [newest] = await this.store.query<{ at: number; n: number }>(NEWEST_SQL);
    if (!newest || Number(newest.n) === 0) return 0;
    const since = Number(newest.at) - RECOVERY_MARGIN_MS;
    const names = new Map(
      (await readNewestDefinitions(this.store)).map((definition) => [
        definition.id,
        definition.name,
      ]),
    );
    const rows = await this.store.query<{
      profile_key: string;
      segment_id: string;
      change: 'entered' | 'exited';
      run: string;
      version: number;
      ms: number;
    }>(UNRECORDED_CHANGES_SQL, { since });
    const missing = rows.map((row) => {
      const ms = Number(row.ms);
      const change: SegmentChange = {
        id: `${row.run}:${row.segment_id}:${row.profile_key}`,
        segmentId: row.segment_id,
        segmentName: names.get(row.segment_id) ?? row.segment_id,
        ...parseProfileKey(row.profile_key),
        version: Number(row.version),
        change: row.change,
        at: isoOf(ms),
        runId: row.run,
      };
      return { at: ms, change };
    });
    missing.sort((a, b) => a.at - b.at || (a.change.change === 'exited' ? -1 : 1));
    await this.append(missing.map((entry) => entry.change));
    return missing.length;
  }
}
