import type { Logger, Metrics } from '@rapport/observability';
import type { Lane, QueryParams, Store } from './store.js';

/** Characters of a slow statement's SQL kept in its log line: enough to tell which it is. */
const LOGGED_CHARS = 400;

export interface StatementObserver {
  metrics?: Metrics | undefined;
  logger?: Logger | undefined;
  /** A statement that takes this many ms or more is logged; 0 logs none. */
  slowMs: number;
}

/**
 * The store, with every query and command timed: the seconds go to
 * `rapport_store_statement_duration_seconds` by lane and kind, and a statement that took
 * `slowMs` or more is logged (info, "slow statement") with its lane, milliseconds, whether it
 * failed and the start of its SQL as the caller wrote it — placeholders, never the values bound
 * to them, which may name a customer. Inserts are timed where they are made (the batch writer).
 */
export function observeStatements(store: Store, observer: StatementObserver): Store {
  const { metrics, logger, slowMs } = observer;
  const timed = async <T>(
    kind: 'query' | 'command',
    sql: string,
    lane: Lane,
    run: () => Promise<T>,
  ): Promise<T> => {
    const started = performance.now();
    let failed = false;
    try {
      return await run();
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      metrics?.storeStatementSeconds.observe({ lane, kind }, seconds);
      if (slowMs > 0 && seconds * 1000 >= slowMs) {
        const statement = sql.replace(/\s+/g, ' ').trim().slice(0, LOGGED_CHARS);
        logger?.info(
          { lane, kind, ms: Math.round(seconds * 1000), failed, statement },
          'slow statement',
        );
      }
    }
  };
  return {
    mode: store.mode,
    database: store.database,
    ...(store.cluster === undefined ? {} : { cluster: store.cluster }),
    ...(store.opening === undefined ? {} : { opening: store.opening }),
    query: <T>(sql: string, params?: QueryParams, lane: Lane = 'read') =>
      timed('query', sql, lane, () => store.query<T>(sql, params, lane)),
    command: (sql, params, lane = 'write') =>
      timed('command', sql, lane, () => store.command(sql, params, lane)),
    insertJsonLines: (table, body, options) => store.insertJsonLines(table, body, options),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
