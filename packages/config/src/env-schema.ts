import { z } from 'zod';
import { distributedEnvShape } from './distributed-env.js';
import { limitsEnvShape } from './limits-env.js';
import { providerEnvShape } from './provider-env.js';
import { webhookEnvShape } from './webhook-env.js';

export const SCOPES = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKey {
  key: string;
  scopes: readonly Scope[];
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain identifier (letters, digits, _)');

/** `key:scope+scope,key:scope`, e.g. `tracker-7f3a9c21e4:ingest,dash-02b8e1f9d6:read+admin`. */
const apiKeys = z
  .string()
  .default('')
  .transform((raw, ctx): ApiKey[] => {
    const keys: ApiKey[] = [];
    for (const entry of raw.split(',').map((part) => part.trim())) {
      if (entry === '') continue;
      const [key = '', scopeList = '', ...rest] = entry.split(':');
      const scopes = scopeList.split('+').filter((scope) => scope !== '');
      const badScope = scopes.find((scope) => !(SCOPES as readonly string[]).includes(scope));
      if (rest.length > 0 || !/^[A-Za-z0-9._~-]{12,256}$/.test(key) || scopes.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `entry "${entry.slice(0, 8)}…" must be key:scope[+scope], the key 12–256 characters of A-Z a-z 0-9 . _ ~ -`,
        });
      } else if (badScope !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown scope "${badScope}"; scopes are ${SCOPES.join(', ')}`,
        });
      } else {
        keys.push({ key, scopes: scopes as Scope[] });
      }
    }
    return keys;
  });

/** `EUR=1.08,GBP=1.27`: units of the reporting currency per unit of each currency. */
const currencyRates = z
  .string()
  .default('')
  .transform((raw, ctx): Record<string, number> => {
    const rates: Record<string, number> = {};
    for (const entry of raw.split(',').map((part) => part.trim())) {
      if (entry === '') continue;
      const match = /^([A-Za-z]{3})=([0-9]+(?:\.[0-9]+)?)$/.exec(entry);
      const rate = match ? Number(match[2]) : NaN;
      if (!match?.[1] || !(rate > 0)) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" must be CODE=rate with a rate > 0` });
        continue;
      }
      rates[match[1].toUpperCase()] = rate;
    }
    return rates;
  });

/** Every variable the engine reads, with its default. */
export const envSchema = z.object({
  /** Address the HTTP server binds to. Without API keys only loopback addresses are allowed. */
  RAPPORT_HOST: z.string().min(1).default('127.0.0.1'),
  /** HTTP port; 0 picks a free one (printed in the log). */
  RAPPORT_PORT: int(0, 65535).default(8080),
  /** Data directory of the embedded store (ignored when CLICKHOUSE_URL is set). */
  RAPPORT_DATA_DIR: z.string().min(1).default('.rapport-data'),
  RAPPORT_LOG_LEVEL: z
    .enum(['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'])
    .default('info'),
  /**
   * A store statement (query or command) that takes this many ms or more is logged, with its
   * lane and the start of its SQL; 0 logs none.
   */
  RAPPORT_SLOW_STATEMENT_MS: int(0, 3_600_000).default(5000),
  /** `json` lines, `pretty` readable lines, or `auto`: readable when stdout is a terminal. */
  RAPPORT_LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  /**
   * How long a stop (SIGTERM, Ctrl-C) may take to finish requests and write queued events;
   * past it the process exits anyway, whatever its log destination or the store is doing.
   */
  RAPPORT_SHUTDOWN_GRACE_MS: int(100, 3_600_000).default(30_000),
  /** API keys with scopes; empty means no authentication (loopback only). */
  RAPPORT_API_KEYS: apiKeys,
  /** Currency every amount is reported in. */
  RAPPORT_REPORTING_CURRENCY: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'must be a three-letter ISO 4217 code')
    .default('USD')
    .transform((code) => code.toUpperCase()),
  /** Exchange rates into the reporting currency; events in other currencies are rejected. */
  RAPPORT_CURRENCY_RATES: currencyRates,
  /**
   * The earliest time an event may have (a date, YYYY-MM-DD, UTC), default 1990-01-01; not
   * before 1900-01-01, the earliest time the store holds. History imports reach back decades.
   */
  RAPPORT_EARLIEST_EVENT_TIME: z.iso
    .date({ error: 'must be a date, YYYY-MM-DD' })
    .default('1990-01-01')
    .transform((value) => Date.parse(value))
    // DateTime64(3) holds times from 1900 (MIN_STORED_TIME in @rapport/schemas).
    .refine((ms) => ms >= Date.UTC(1900, 0, 1), {
      error: 'must be 1900-01-01 or later, the earliest time the store holds',
    }),
  RAPPORT_MAX_EVENTS_PER_REQUEST: int(1, 100_000).default(1000),
  RAPPORT_MAX_BODY_BYTES: int(1024, 256 * 1024 * 1024).default(1024 * 1024),
  RAPPORT_MAX_EVENT_BYTES: int(256, 16 * 1024 * 1024).default(32 * 1024),
  /** The batch writer flushes when this many rows are waiting… */
  RAPPORT_BATCH_MAX_ROWS: int(1, 1_000_000).default(10_000),
  /** …or when the oldest waiting row is this old (milliseconds). */
  RAPPORT_BATCH_FLUSH_MS: int(0, 60_000).default(10),
  /** Rows allowed to wait for the store before ingest answers 503. */
  RAPPORT_QUEUE_MAX_ROWS: int(1, 10_000_000).default(200_000),
  /** Extra embedded-store connections for reads, so reads do not queue behind inserts. */
  RAPPORT_STORE_READ_CONNECTIONS: int(1, 16).default(2),
  /**
   * The embedded store's background merges run at this Linux nice value (0-19), so that
   * ingest, look-ups and streaming evaluation get the cores first.
   */
  RAPPORT_MERGE_NICE: int(0, 19).default(19),
  /** An identified customer with no activity for this many days is in the lapsed stage. */
  RAPPORT_LAPSED_AFTER_DAYS: int(1, 3650).default(90),
  /**
   * `on`: segments are evaluated for the profiles of each committed batch of events (the
   * segments job reconciles); `off`: only the segments job evaluates them.
   */
  RAPPORT_STREAMING_SEGMENTS: z.enum(['on', 'off']).default('on'),
  /**
   * After a streaming evaluation that took t, the next starts no sooner than this × t later
   * (at most 1 s): lower answers sooner under a heavy ingest load, and leaves ingest less of
   * the machine. `auto`: set as it runs to keep ingest at RAPPORT_STREAMING_INGEST_SHARE of
   * its pace.
   */
  RAPPORT_STREAMING_REST: z.union([z.literal('auto'), z.coerce.number().min(0).max(10)]).default(1),
  /**
   * The CPU priority (Linux nice value, 0-19) a streaming evaluation's verdict statement runs
   * at: higher leaves a saturated machine's cores to ingest first, and answers later.
   */
  RAPPORT_STREAMING_NICE: int(0, 19).default(0),
  /** With the `auto` rest: the share of its pace ingest keeps while segments are evaluated. */
  RAPPORT_STREAMING_INGEST_SHARE: z.coerce.number().min(0.05).max(1).default(0.85),
  /** Memory for cached profiles, in MiB (least recently used out first). */
  RAPPORT_PROFILE_CACHE_MB: int(0, 65_536).default(256),
  /**
   * `on`: the embedded engine keeps a copy of the stored profile rows on its disk (LMDB),
   * read by key without a statement; `off`: every uncached profile read goes to the store.
   */
  RAPPORT_PROFILE_MIRROR: z.enum(['on', 'off']).default('on'),
  /** Number of clusters the clusters job fits; unset, it picks k by silhouette (2–8). */
  RAPPORT_CLUSTERS_K: int(2, 20).optional(),
  /** A ClickHouse server (http://host:8123); when unset the embedded store is used. */
  CLICKHOUSE_URL: z.url({ protocol: /^https?$/ }).optional(),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: identifier.default('rapport'),
  ...distributedEnvShape,
  ...webhookEnvShape,
  ...limitsEnvShape,
  ...providerEnvShape,
});

export type Env = z.output<typeof envSchema>;
