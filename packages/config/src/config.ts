import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { envSchema, type ApiKey } from './env-schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

export interface Config {
  readonly http: { readonly host: string; readonly port: number };
  readonly logLevel: string;
  readonly apiKeys: readonly ApiKey[];
  readonly store:
    | {
        readonly mode: 'embedded';
        readonly dataDir: string;
        readonly database: string;
        readonly readConnections: number;
      }
    | {
        readonly mode: 'http';
        readonly url: string;
        readonly username: string;
        readonly password: string;
        readonly database: string;
      };
  readonly ingest: {
    readonly maxEventsPerRequest: number;
    readonly maxBodyBytes: number;
    readonly maxEventBytes: number;
    readonly reportingCurrency: string;
    /** Units of the reporting currency per unit of each currency (the reporting one is 1). */
    readonly currencyRates: Readonly<Record<string, number>>;
  };
  readonly profiles: {
    readonly lapsedAfterDays: number;
    readonly cacheBytes: number;
  };
  readonly batch: {
    readonly maxRows: number;
    readonly flushIntervalMs: number;
    readonly maxQueueRows: number;
  };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

function describe(issues: readonly z.core.$ZodIssue[], env: Record<string, string | undefined>) {
  return issues.map((issue) => {
    const name = String(issue.path[0] ?? 'environment');
    const value = env[name];
    const shown = value === undefined || /KEY|PASSWORD/.test(name) ? '' : ` (got "${value}")`;
    return `${name}: ${issue.message}${shown}`;
  });
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(describe(parsed.error.issues, env));
  const e = parsed.data;
  if (e.RAPPORT_API_KEYS.length === 0 && !isLoopback(e.RAPPORT_HOST)) {
    throw new ConfigError([
      `RAPPORT_HOST: "${e.RAPPORT_HOST}" is not a loopback address and RAPPORT_API_KEYS is empty; ` +
        'set API keys before exposing the server beyond this machine',
    ]);
  }
  const store: Config['store'] =
    e.CLICKHOUSE_URL === undefined
      ? {
          mode: 'embedded',
          dataDir: resolve(e.RAPPORT_DATA_DIR),
          database: e.CLICKHOUSE_DATABASE,
          readConnections: e.RAPPORT_STORE_READ_CONNECTIONS,
        }
      : {
          mode: 'http',
          url: e.CLICKHOUSE_URL,
          username: e.CLICKHOUSE_USER,
          password: e.CLICKHOUSE_PASSWORD,
          database: e.CLICKHOUSE_DATABASE,
        };
  return deepFreeze({
    http: { host: e.RAPPORT_HOST, port: e.RAPPORT_PORT },
    logLevel: e.RAPPORT_LOG_LEVEL,
    apiKeys: e.RAPPORT_API_KEYS,
    store,
    ingest: {
      maxEventsPerRequest: e.RAPPORT_MAX_EVENTS_PER_REQUEST,
      maxBodyBytes: e.RAPPORT_MAX_BODY_BYTES,
      maxEventBytes: e.RAPPORT_MAX_EVENT_BYTES,
      reportingCurrency: e.RAPPORT_REPORTING_CURRENCY,
      currencyRates: { ...e.RAPPORT_CURRENCY_RATES, [e.RAPPORT_REPORTING_CURRENCY]: 1 },
    },
    profiles: {
      lapsedAfterDays: e.RAPPORT_LAPSED_AFTER_DAYS,
      cacheBytes: e.RAPPORT_PROFILE_CACHE_MB * 1024 * 1024,
    },
    batch: {
      maxRows: e.RAPPORT_BATCH_MAX_ROWS,
      flushIntervalMs: e.RAPPORT_BATCH_FLUSH_MS,
      maxQueueRows: e.RAPPORT_QUEUE_MAX_ROWS,
    },
  });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
