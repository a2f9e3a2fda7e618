import { mayLowerThreadPriority } from '@rapport/store';
import { QueryGate, type QueryGateOptions } from './query-gate.js';

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
