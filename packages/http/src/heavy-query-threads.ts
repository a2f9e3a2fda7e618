import { readFileSync } from 'node:fs';
import { QueryGate, type QueryGateOptions } from './query-gate.js';

/** The bit of CAP_SYS_NICE in a capability mask (linux/capability.h). */
const CAP_SYS_NICE = 23n;

/**
 * Whether this process holds CAP_SYS_NICE, from its effective capabilities (`CapEff` in
 * /proc/self/status, or the text given). ClickHouse lowers a query's threads to
 * `os_thread_priority` only with it (it must raise them back afterwards) and ignores the
 * setting otherwise; false where the status cannot be read.
 */
export function mayLowerThreadPriority(status?: string): boolean {
  let text = status;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/status', 'utf8');
    } catch {
      return false;
    }
  }
  const mask = /^CapEff:\s*([0-9a-f]+)$/im.exec(text)?.[1];
  return mask !== undefined && ((BigInt(`0x${mask}`) >> CAP_SYS_NICE) & 1n) === 1n;
}

/**
 * Threads of one heavy query (ClickHouse max_threads, 0: one per core): as configured, else
 * one per core where they run at nice 19 — a ClickHouse server (its packages grant it
 * CAP_SYS_NICE), or an embedded store in a process holding it — and 1 where their priority
 * cannot be lowered, so that look-ups and ingest keep a core.
 */
export function heavyQueryThreads(
  configured: number | undefined,
  store: 'embedded' | 'http',
  lowerable: () => boolean = () => mayLowerThreadPriority(),
): number {
  if (configured !== undefined) return configured;
  return store === 'http' || lowerable() ? 0 : 1;
}

/**
 * The heavy-query gate of a service on this store, its threads as heavyQueryThreads says;
 * `warn` is told when they are held to one because their priority cannot be lowered.
 */
export function heavyQueryGate(
  limits: Omit<QueryGateOptions, 'threads'> & { threads: number | undefined },
  store: 'embedded' | 'http',
  warn?: (message: string) => void,
  lowerable: () => boolean = () => mayLowerThreadPriority(),
): QueryGate {
  const threads = heavyQueryThreads(limits.threads, store, lowerable);
  if (limits.threads === undefined && threads === 1) {
    warn?.(
      'heavy queries (reports, previews, exports) run on one thread each: without CAP_SYS_NICE the store cannot lower their priority below look-ups and ingest (RAPPORT_HEAVY_QUERY_THREADS sets it)',
    );
  }
  return new QueryGate({ ...limits, threads });
}
