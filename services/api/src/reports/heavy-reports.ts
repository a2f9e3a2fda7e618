import type { QueryGate } from '@rapport/http';
import type { QueryParams, Store } from '@rapport/store';

/**
 * The store as a report reads it once admitted by the gate: every query on the heavy lane,
 * with the gate's settings (memory limit, threads, low priority) at the end of its SQL.
 */
class HeavyStore implements Store {
  constructor(
    private readonly store: Store,
    private readonly settings: string,
  ) {}

  get mode() {
    return this.store.mode;
  }

  get database() {
    return this.store.database;
  }

  get cluster() {
    return this.store.cluster;
  }

  query<T>(sql: string, params?: QueryParams) {
    return this.store.query<T>(`${sql}\nSETTINGS ${this.settings}`, params, 'heavy');
  }

  command(): Promise<void> {
    return Promise.reject(new Error('a report only reads'));
  }

  insertJsonLines(): Promise<void> {
    return Promise.reject(new Error('a report only reads'));
  }

  ping() {
    return this.store.ping();
  }

  close(): Promise<void> {
    return Promise.reject(new Error('a report does not close the store'));
  }
}

/**
 * Runs reports among the heavy queries: each report waits for a turn (or is refused with 503
 * and Retry-After when the queue is full) and reads the store through the gate's limits.
 * Without a gate, reports read the store as it is.
 */
export function heavyReports(
  store: Store,
  gate: QueryGate | undefined,
): <T>(read: (store: Store) => Promise<T>) => Promise<T> {
  if (!gate) return (read) => read(store);
  const heavy = new HeavyStore(store, gate.settings);
  return (read) => gate.run(() => read(heavy));
}
