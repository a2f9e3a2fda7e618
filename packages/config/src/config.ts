import { isIP } from 'node:net';
import { resolve } from 'node:path';
import cron from 'node-cron';
import type { z } from 'zod';
import {
  distributedProblems,
  distributedServiceProblems,
  kafkaConfigOf,
  type DistributedService,
  type KafkaConfig,
} from './distributed-env.js';
import { envSchema, type ApiKey } from './env-schema.js';
import { limitsConfigOf, type LimitsConfig } from './limits-env.js';
import { providerConfigOf, type ProviderConfig } from './provider-env.js';
import { webhookConfigOf, webhookProblems, type WebhookConfig } from './webhook-env.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

export interface Config {
  readonly http: { readonly host: string; readonly port: number };
  readonly logLevel: string;
  /** JSON log lines, readable ones, or readable at a terminal only (RAPPORT_LOG_FORMAT). */
  readonly logFormat: 'auto' | 'json' | 'pretty';
  /** Store statements taking this many ms or more are logged; 0: none (RAPPORT_SLOW_STATEMENT_MS). */
  readonly slowStatementMs: number;
  /** A stop that takes longer ends the process anyway (ms). */
  readonly shutdownGraceMs: number;
  readonly apiKeys: readonly ApiKey[];
  readonly store:
    | {
        readonly mode: 'embedded';
        readonly dataDir: string;
        readonly database: string;
        readonly readConnections: number;
        /** The nice value of the store's background merges (RAPPORT_MERGE_NICE; 0 when absent). */
        readonly mergeNice?: number;
      }
    | {
        readonly mode: 'http';
        readonly url: string;
        readonly username: string;
        readonly password: string;
        readonly database: string;
        /** A ClickHouse cluster: tables are replicated and reached through distributed ones. */
        readonly cluster?: string;
      };
  /** The Kafka bus, when KAFKA_BROKERS is set (distributed mode). */
  readonly kafka?: KafkaConfig;
  /** Segment change webhooks, when RAPPORT_WEBHOOK_URLS lists any. */
  readonly webhooks: WebhookConfig | undefined;
  /** Rate limits, timeouts, the connection cap and the heavy-query queue. */
  readonly limits: LimitsConfig;
  /** Keys that email providers' webhooks are verified with. */
  readonly providers: ProviderConfig;
  readonly ingest: {
    readonly maxEventsPerRequest: number;
    readonly maxBodyBytes: number;
    readonly maxEventBytes: number;
    readonly reportingCurrency: string;
    /** Units of the reporting currency per unit of each currency (the reporting one is 1). */
    readonly currencyRates: Readonly<Record<string, number>>;
    /** Events before this time (epoch ms) are rejected (RAPPORT_EARLIEST_EVENT_TIME). */
    readonly earliestEventTime?: number;
  };
  readonly profiles: {
    readonly lapsedAfterDays: number;
    readonly cacheBytes: number;
    /** A local copy of the profile rows, embedded store only (RAPPORT_PROFILE_MIRROR). */
    readonly mirror: boolean;
  };
  readonly segments: {
    /** Segments follow each committed batch (RAPPORT_STREAMING_SEGMENTS, default on). */
    readonly streaming: boolean;
    /**
     * The rest after an evaluation, as a share of its time, or 'auto': set to keep ingest at
     * `streamingIngestShare` of its rate (RAPPORT_STREAMING_REST).
     */
    readonly streamingRest: number | 'auto';
    /** The share of ingest's rate the 'auto' rest keeps (RAPPORT_STREAMING_INGEST_SHARE). */
    readonly streamingIngestShare: number;
    /** The nice value of a streaming evaluation's verdict statement (RAPPORT_STREAMING_NICE). */
    readonly streamingNice: number;
  };
  readonly jobs: {
    /** Job name → cron expression (UTC), from RAPPORT_SCHEDULE_<JOB>. */
    readonly schedules: Readonly<Record<string, string>>;
    /** k of the clusters job when a run does not give one (RAPPORT_CLUSTERS_K). */
    readonly clustersK?: number;
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
    const shown =
      value === undefined || /KEY|PASSWORD|SECRET|WEBHOOK_URLS/.test(name)
        ? ''
        : ` (got "${value}")`;
    return `${name}: ${issue.message}${shown}`;
  });
}

const SCHEDULE = /^RAPPORT_SCHEDULE_([A-Z][A-Z0-9_]*)$/;

/**
 * Jobs that run on a schedule unless told otherwise: the segments job, hourly, reconciles
 * what streaming evaluation keeps current (and evaluates new and changed segments).
 */
export const DEFAULT_SCHEDULES: Readonly<Record<string, string>> = { segments: '0 * * * *' };

/**
 * `RAPPORT_SCHEDULE_RFM="0 3 * * *"` schedules the rfm job; the expression is checked here.
 * `off` turns a default schedule off.
 */
function schedulesOf(env: Record<string, string | undefined>): {
  schedules: Record<string, string>;
  problems: string[];
} {
  const schedules: Record<string, string> = { ...DEFAULT_SCHEDULES };
  const problems: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    const match = SCHEDULE.exec(name);
    if (!match?.[1] || value === undefined || value.trim() === '') continue;
    if (value.trim() === 'off') {
      delete schedules[match[1].toLowerCase()];
    } else if (!cron.validate(value.trim())) {
      problems.push(`${name}: "${value}" is not a cron expression (e.g. "0 3 * * *")`);
    } else {
      schedules[match[1].toLowerCase()] = value.trim();
    }
  }
  return { schedules, problems };
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const { schedules, problems } = schedulesOf(env);
  if (!parsed.success || problems.length > 0) {
    throw new ConfigError([
      ...(parsed.error ? describe(parsed.error.issues, env) : []),
      ...problems,
    ]);
  }
  const e = parsed.data;
  if (e.RAPPORT_API_KEYS.length === 0 && !isLoopback(e.RAPPORT_HOST)) {
    throw new ConfigError([
      `RAPPORT_HOST: "${e.RAPPORT_HOST}" is not a loopback address and RAPPORT_API_KEYS is empty; ` +
        'set API keys before exposing the server beyond this machine',
    ]);
  }
  const crossField = [...distributedProblems(e), ...webhookProblems(e)];
  if (crossField.length > 0) throw new ConfigError(crossField);
  const kafka = kafkaConfigOf(e);
  const store: Config['store'] =
    e.CLICKHOUSE_URL === undefined
      ? {
          mode: 'embedded',
          dataDir: resolve(e.RAPPORT_DATA_DIR),
          database: e.CLICKHOUSE_DATABASE,
          readConnections: e.RAPPORT_STORE_READ_CONNECTIONS,
          mergeNice: e.RAPPORT_MERGE_NICE,
        }
      : {
          mode: 'http',
          url: e.CLICKHOUSE_URL,
          username: e.CLICKHOUSE_USER,
          password: e.CLICKHOUSE_PASSWORD,
          database: e.CLICKHOUSE_DATABASE,
          ...(e.CLICKHOUSE_CLUSTER === undefined ? {} : { cluster: e.CLICKHOUSE_CLUSTER }),
        };
  return deepFreeze({
    http: { host: e.RAPPORT_HOST, port: e.RAPPORT_PORT },
    logLevel: e.RAPPORT_LOG_LEVEL,
    logFormat: e.RAPPORT_LOG_FORMAT,
    slowStatementMs: e.RAPPORT_SLOW_STATEMENT_MS,
    shutdownGraceMs: e.RAPPORT_SHUTDOWN_GRACE_MS,
    apiKeys: e.RAPPORT_API_KEYS,
    store,
    ...(kafka === undefined ? {} : { kafka }),
    webhooks: webhookConfigOf(e),
    limits: limitsConfigOf(e),
    providers: providerConfigOf(e),
    ingest: {
      maxEventsPerRequest: e.RAPPORT_MAX_EVENTS_PER_REQUEST,
      maxBodyBytes: e.RAPPORT_MAX_BODY_BYTES,
      maxEventBytes: e.RAPPORT_MAX_EVENT_BYTES,
      reportingCurrency: e.RAPPORT_REPORTING_CURRENCY,
      currencyRates: { ...e.RAPPORT_CURRENCY_RATES, [e.RAPPORT_REPORTING_CURRENCY]: 1 },
      earliestEventTime: e.RAPPORT_EARLIEST_EVENT_TIME,
    },
    profiles: {
      lapsedAfterDays: e.RAPPORT_LAPSED_AFTER_DAYS,
      cacheBytes: e.RAPPORT_PROFILE_CACHE_MB * 1024 * 1024,
      mirror: e.RAPPORT_PROFILE_MIRROR === 'on',
    },
    segments: {
      streaming: e.RAPPORT_STREAMING_SEGMENTS === 'on',
      streamingRest: e.RAPPORT_STREAMING_REST,
      streamingIngestShare: e.RAPPORT_STREAMING_INGEST_SHARE,
      streamingNice: e.RAPPORT_STREAMING_NICE,
    },
    jobs: {
      schedules,
      ...(e.RAPPORT_CLUSTERS_K === undefined ? {} : { clustersK: e.RAPPORT_CLUSTERS_K }),
    },
    batch: {
      maxRows: e.RAPPORT_BATCH_MAX_ROWS,
      flushIntervalMs: e.RAPPORT_BATCH_FLUSH_MS,
      maxQueueRows: e.RAPPORT_QUEUE_MAX_ROWS,
    },
  });
}

/**
 * Throws ConfigError unless the configuration can run `service` apart from the others
 * (Kafka and a ClickHouse server); the message names the missing variables.
 */
export function requireDistributed(config: Config, service: DistributedService): void {
  const problems = distributedServiceProblems(config, service);
  if (problems.length > 0) throw new ConfigError(problems);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
