import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Limits that keep one client from taking the service from the others. */
export const limitsEnvShape = {
  /** Length of a rate-limit window in ms (default 1000: the limits below are per second). */
  RAPPORT_RATE_LIMIT_WINDOW_MS: int(100, 3_600_000).default(1000),
  /** Requests per window per API key (per IP without keys) on `read` routes; 0 turns it off. */
  RAPPORT_RATE_LIMIT_READ: int(0, 10_000_000).default(10_000),
  /** The same for `ingest` routes (a request carries up to RAPPORT_MAX_EVENTS_PER_REQUEST events). */
  RAPPORT_RATE_LIMIT_INGEST: int(0, 10_000_000).default(10_000),
  /** The same for `admin` routes. */
  RAPPORT_RATE_LIMIT_ADMIN: int(0, 10_000_000).default(1000),
  /** A request whose headers and body have not all arrived within this many ms gets 408. */
  RAPPORT_REQUEST_TIMEOUT_MS: int(1000, 3_600_000).default(30_000),
  /** A connection that sends no complete request headers within this many ms is closed. */
  RAPPORT_HEADERS_TIMEOUT_MS: int(1000, 3_600_000).default(10_000),
  /** An idle keep-alive connection is closed after this many ms. */
  RAPPORT_KEEP_ALIVE_TIMEOUT_MS: int(100, 3_600_000).default(5000),
  /** Open connections at most; further ones are refused (closed at once). */
  RAPPORT_MAX_CONNECTIONS: int(1, 1_000_000).default(1024),
  /** Heavy queries (segment previews, reports, exports) run at most this many at a time… */
  RAPPORT_HEAVY_QUERY_CONCURRENCY: int(1, 64).default(1),
  /** …others wait this long for a turn, then get 503 with Retry-After. */
  RAPPORT_HEAVY_QUERY_QUEUE_MS: int(0, 600_000).default(10_000),
  /** Memory one heavy query may use in the store, in MiB (ClickHouse max_memory_usage). */
  RAPPORT_HEAVY_QUERY_MEMORY_MB: int(16, 1_048_576).default(1024),
  /**
   * Threads one heavy query may use in the store (ClickHouse max_threads); 0: one per core.
   * Unset: one per core where their priority can be lowered, else 1 (see heavyQueryThreads).
   */
  RAPPORT_HEAVY_QUERY_THREADS: int(0, 1024).optional(),
} as const;

export interface LimitsConfig {
  readonly rate: {
    readonly windowMs: number;
    /** Requests per window by route scope; 0 means no limit. */
    readonly read: number;
    readonly ingest: number;
    readonly admin: number;
  };
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
  readonly heavyQueries: {
    readonly concurrency: number;
    readonly queueMs: number;
    readonly maxMemoryBytes: number;
    /** Threads per heavy query (0: one per core); undefined when not set. */
    readonly threads: number | undefined;
  };
}

type LimitsEnv = z.output<z.ZodObject<typeof limitsEnvShape>>;

export function limitsConfigOf(e: LimitsEnv): LimitsConfig {
  return {
    rate: {
      windowMs: e.RAPPORT_RATE_LIMIT_WINDOW_MS,
      read: e.RAPPORT_RATE_LIMIT_READ,
      ingest: e.RAPPORT_RATE_LIMIT_INGEST,
      admin: e.RAPPORT_RATE_LIMIT_ADMIN,
    },
    requestTimeoutMs: e.RAPPORT_REQUEST_TIMEOUT_MS,
    headersTimeoutMs: e.RAPPORT_HEADERS_TIMEOUT_MS,
    keepAliveTimeoutMs: e.RAPPORT_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: e.RAPPORT_MAX_CONNECTIONS,
    heavyQueries: {
      concurrency: e.RAPPORT_HEAVY_QUERY_CONCURRENCY,
      queueMs: e.RAPPORT_HEAVY_QUERY_QUEUE_MS,
      maxMemoryBytes: e.RAPPORT_HEAVY_QUERY_MEMORY_MB * 1024 * 1024,
      threads: e.RAPPORT_HEAVY_QUERY_THREADS,
    },
  };
}
