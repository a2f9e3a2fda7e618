import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger, Metrics } from '@rapport/observability';
import { StoreError, toStoreError } from './errors.js';

export interface BatchWriterOptions<T, R> {
  /** Label for metrics and logs, usually the table. */
  name: string;
  /** Flush as soon as this many items wait. */
  maxRows: number;
  /** Flush when the oldest waiting item is this old (ms). */
  flushIntervalMs: number;
  /** Refuse new items (QueueFullError) while this many wait. */
  maxQueueRows: number;
  /** Writes one batch and returns one result per item, in order. Called one batch at a time. */
  write: (items: T[]) => Promise<R[]>;
  logger: Logger;
  metrics?: Metrics;
  /** Attempts for a batch whose write fails with a retriable error (default 3). */
  attempts?: number;
  /** First back-off delay, doubled each attempt (default 100 ms). */
  backoffMs?: number;
  /**
   * The result of an item the store refused because of its own data. Given this, a batch whose
   * write fails with such an error (see isRowError) is split in halves, again and again, until
   * the items at fault stand alone: they get this result and every other item is written.
   * Without it, the whole batch fails and every caller is told.
   */
  rejectItem?: (item: T, error: StoreError) => R;
}

// ClickHouse error codes that mean "this data", not "this store": the value of some row could
// not be parsed or held. Other rows of the same insert are not at fault.
const ROW_ERROR_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND (a Decimal too big for its column)
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  306, // TOO_DEEP_RECURSION
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  407, // DECIMAL_OVERFLOW
]);

/** The ClickHouse error code behind a store error, from the embedded or the HTTP client. */
function clickHouseCodeOf(error: StoreError): number | undefined {
  const cause = error.cause as { clickhouseCode?: unknown; code?: unknown } | undefined;
  for (const code of [cause?.clickhouseCode, cause?.code]) {
    if (typeof code === 'number' || (typeof code === 'string' && /^\d+$/.test(code))) {
      return Number(code);
    }
  }
  const quoted = /\bCode: (\d+)\./.exec(error.message);
  return quoted ? Number(quoted[1]) : undefined;
}

/** True when the store refused a write because of the data of some of its rows. */
export function isRowError(error: StoreError): boolean {
  const code = clickHouseCodeOf(error);
  return error.code === 'rejected' && code !== undefined && ROW_ERROR_CODES.has(code);
}

/** The writer is full: the caller should answer "try again later". */
export class QueueFullError extends StoreError {
  constructor(queued: number) {
    super('overloaded', `${queued} rows are waiting for the store; try again shortly`);
  }
}

interface Pending<T, R> {
  items: T[];
  enqueuedAt: number;
  resolve: (results: R[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Collects items from many callers and writes them in batches, one batch at a time, so a
 * batch's write sees every earlier batch committed. Each caller's promise settles when the
 * batch holding its items is written — never before, and never silently dropped.
 */
export class BatchWriter<T, R> {
  private queue: Pending<T, R>[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closing = false;

  constructor(private readonly options: BatchWriterOptions<T, R>) {}

  get waiting(): number {
    return this.queuedRows;
  }

  add(items: T[]): Promise<R[]> {
    if (this.closing)
      return Promise.reject(new StoreError('closed', 'the writer is shutting down'));
    if (items.length === 0) return Promise.resolve([]);
    if (this.queuedRows + items.length > this.options.maxQueueRows && this.queuedRows > 0) {
      return Promise.reject(new QueueFullError(this.queuedRows));
    }
    return new Promise<R[]>((resolve, reject) => {
      this.queue.push({ items, enqueuedAt: performance.now(), resolve, reject });
      this.queuedRows += items.length;
      this.options.metrics?.queueRows.set({ table: this.options.name }, this.queuedRows);
      this.schedule();
    });
  }

  /** Writes everything waiting now. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.running) {
      if (!this.running) this.start();
      await this.running;
    }
  }

  /** Refuses new items, writes what waits, and resolves when all is written. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    await this.flush();
  }

  private schedule() {
    if (this.running) return;
    if (this.queuedRows >= this.options.maxRows || this.closing) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.start();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.start();
      }, this.options.flushIntervalMs);
    }
  }

  private start() {
    if (this.running || this.queue.length === 0) return;
    this.running = this.writeNext().finally(() => {
      this.running = undefined;
      // Items that arrived during the write have waited already: go again at once.
      if (this.queue.length > 0) {
        if (this.queuedRows >= this.options.maxRows || this.closing) this.start();
        else this.schedule();
      }
    });
  }

  private takeBatch(): Pending<T, R>[] {
    const batch: Pending<T, R>[] = [];
    let rows = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (batch.length > 0 && rows + next.items.length > this.options.maxRows) break;
      batch.push(this.queue.shift()!);
      rows += next.items.length;
    }
    this.queuedRows -= rows;
    this.options.metrics?.queueRows.set({ table: this.options.name }, this.queuedRows);
    return batch;
  }

  private async writeNext(): Promise<void> {
    const batch = this.takeBatch();
    const items = batch.flatMap((pending) => pending.items);
    const { metrics, name } = this.options;
    const started = performance.now();
    for (const pending of batch) {
      metrics?.queueWaitSeconds.observe({ table: name }, (started - pending.enqueuedAt) / 1000);
    }
    try {
      const results = await this.writeIsolatingBadRows(items);
      metrics?.batchRows.observe({ table: name }, items.length);
      metrics?.insertSeconds.observe({ table: name }, (performance.now() - started) / 1000);
      let offset = 0;
      for (const pending of batch) {
        pending.resolve(results.slice(offset, offset + pending.items.length));
        offset += pending.items.length;
      }
    } catch (error) {
      this.options.logger.error(
        { err: error, table: name, rows: items.length },
        'batch write failed; its callers were told',
      );
      for (const pending of batch) pending.reject(error);
    }
  }

  /**
   * Writes the items; when the store refuses them for the data of some rows, finds those rows
   * by halving and writes the rest. Halves are written in order, so a later item still sees
   * every earlier one committed. n items with one bad row cost about 2·log2(n) writes.
   */
  private async writeIsolatingBadRows(items: T[]): Promise<R[]> {
    try {
      return await this.writeWithRetry(items);
    } catch (error) {
      const { rejectItem, metrics, name, logger } = this.options;
      if (!rejectItem || !(error instanceof StoreError) || !isRowError(error)) throw error;
      if (items.length === 1) {
        metrics?.insertErrors.inc({ table: name, outcome: 'row_rejected' });
        logger.warn({ err: error, table: name }, 'the store refused a row; it alone is rejected');
        return [rejectItem(items[0]!, error)];
      }
      metrics?.insertErrors.inc({ table: name, outcome: 'split' });
      const half = Math.ceil(items.length / 2);
      const first = await this.writeIsolatingBadRows(items.slice(0, half));
      const second = await this.writeIsolatingBadRows(items.slice(half));
      return [...first, ...second];
    }
  }

  private async writeWithRetry(items: T[]): Promise<R[]> {
    const attempts = this.options.attempts ?? 3;
    const backoff = this.options.backoffMs ?? 100;
    for (let attempt = 1; ; attempt++) {
      try {
        const results = await this.options.write(items);
        if (results.length !== items.length) {
          throw new Error(`write returned ${results.length} results for ${items.length} items`);
        }
        return results;
      } catch (caught) {
        const error = toStoreError(caught, `writing ${this.options.name}`);
        const retry = error.retriable && attempt < attempts;
        this.options.metrics?.insertErrors.inc({
          table: this.options.name,
          outcome: retry ? 'retried' : 'failed',
        });
        if (!retry) throw error;
        this.options.logger.warn(
          { err: error, table: this.options.name, attempt },
          'batch write failed; retrying',
        );
        await sleep(backoff * 2 ** (attempt - 1));
      }
    }
  }
}
