import {
  StoreError,
  type InsertOptions,
  type Lane,
  type QueryParams,
  type Store,
} from '@rapport/store';

/**
 * The windows a write into `events` can fail in (inserts into other tables pass through):
 * - `crash-before-insert`: the process dies before the insert; nothing is written.
 * - `crash-after-insert`: the rows are committed, then the process dies before it can say so.
 * - `crash-before-views`: the `events` part is committed but no view got the block, and the
 *   process dies — what a kill between the two leaves (views are fed after `events`).
 * - `crash-mid-batch`: the rows of the batch's first partition of `events` are committed, the
 *   rest are not, no view got any, and the process dies — what an insert into several
 *   partitions can leave. (Partitions are told apart by year and month, which separates them
 *   however the table is partitioned by time.)
 * - `view-fails`: the engine commits the `events` part, then a view push fails and the insert
 *   answers with that error (a real one: the views are made to read too many columns).
 * - `view-timeout`: the same, answered as a retriable timeout (a view's target unreachable).
 * - `unavailable`: the store is down (a retriable failure); nothing is written.
 * - `ack-lost`: the rows are committed but the answer is lost (a retriable timeout), and the
 *   next look-up by eventId cannot see them yet (a lagging replica).
 */
export type WriteFault =
  | 'crash-before-insert'
  | 'crash-after-insert'
  | 'crash-before-views'
  | 'crash-mid-batch'
  | 'view-fails'
  | 'view-timeout'
  | 'unavailable'
  | 'ack-lost';

export interface InsertRecord {
  table: string;
  rows: number;
  token: string | undefined;
  fault: WriteFault | undefined;
}

/** Makes every view push of the insert fail after `events` took the block (error 161). */
const FAIL_VIEWS = { max_columns_to_read: 1 };

const partitionOf = (line: string) =>
  new Date((JSON.parse(line) as { timestamp: number }).timestamp).toISOString().slice(0, 7);

/** A store that passes everything to a real one, except the faults it is told to make. */
export class FaultyStore implements Store {
  readonly inserts: InsertRecord[] = [];
  private readonly faults: WriteFault[] = [];
  private blindLookups = 0;

  constructor(private readonly inner: Store) {}

  get mode() {
    return this.inner.mode;
  }

  get database() {
    return this.inner.database;
  }

  /** The next inserts fail in these ways, one each, in order. */
  failNext(...faults: WriteFault[]): void {
    this.faults.push(...faults);
  }

  get pendingFaults(): number {
    return this.faults.length;
  }

  query<T>(sql: string, params?: QueryParams, lane?: Lane): Promise<T[]> {
    if (this.blindLookups > 0 && sql.includes('event_id IN')) {
      this.blindLookups--;
      return Promise.resolve([]);
    }
    return this.inner.query<T>(sql, params, lane);
  }

  command(sql: string, params?: QueryParams, lane?: Lane): Promise<void> {
    return this.inner.command(sql, params, lane);
  }

  async insertJsonLines(table: string, body: Buffer, options?: InsertOptions): Promise<void> {
    if (table !== 'events') return this.inner.insertJsonLines(table, body, options);
    const fault = this.faults.shift();
    const token = options?.settings?.insert_deduplication_token;
    const lines = body.toString().split('\n');
    this.inserts.push({
      table,
      rows: lines.length,
      token: token === undefined ? undefined : String(token),
      fault,
    });
    const withoutViews = { settings: { ...options?.settings, ...FAIL_VIEWS } };
    switch (fault) {
      case undefined:
        return this.inner.insertJsonLines(table, body, options);
      case 'crash-before-insert':
        throw new StoreError('rejected', 'simulated crash before the insert');
      case 'unavailable':
        throw new StoreError('unavailable', 'simulated outage: connection refused');
      case 'crash-after-insert':
        await this.inner.insertJsonLines(table, body, options);
        throw new StoreError('rejected', 'simulated crash after the insert');
      case 'crash-before-views':
        await this.inner.insertJsonLines(table, body, withoutViews).catch(() => undefined);
        throw new StoreError('rejected', 'simulated crash before the views');
      case 'crash-mid-batch': {
        const first = partitionOf(lines[0]!);
        const committed = lines.filter((line) => partitionOf(line) === first);
        if (committed.length === lines.length) {
          throw new Error('crash-mid-batch needs a batch that spans two partitions');
        }
        await this.inner
          .insertJsonLines(table, Buffer.from(committed.join('\n')), withoutViews)
          .catch(() => undefined);
        throw new StoreError('rejected', 'simulated crash in the middle of the insert');
      }
      case 'view-fails':
        return this.inner.insertJsonLines(table, body, withoutViews);
      case 'view-timeout':
        await this.inner.insertJsonLines(table, body, withoutViews).catch(() => undefined);
        throw new StoreError('timeout', 'simulated timeout while pushing to a view');
      case 'ack-lost':
        await this.inner.insertJsonLines(table, body, options);
        this.blindLookups = 1;
        throw new StoreError('timeout', 'simulated timeout: the insert may have happened');
    }
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
