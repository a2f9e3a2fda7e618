import type { Logger, Metrics } from '@rapport/observability';

/** The topic of validated events: one JSON StoredEvent per message, keyed by customer key. */
export const EVENTS_TOPIC = 'rapport.events.v1';
/** Where messages that cannot be decoded or validated go, with the reason in headers. */
export const DEAD_LETTER_TOPIC = 'rapport.events.dlq.v1';

export interface KafkaBusOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: readonly string[];
  /** Client id the brokers see (default `rapport`). */
  clientId?: string;
  /** Events topic (default rapport.events.v1). */
  topic?: string;
  /** Dead-letter topic (default rapport.events.dlq.v1). */
  deadLetterTopic?: string;
  /** Partitions of each topic Rapport creates (default 12); existing topics are left as they are. */
  partitions?: number;
  /** Replicas of each partition of the topics Rapport creates (default 1; 3 in production). */
  replicationFactor?: number;
  /** Consumer group of the subscribers (default rapport-pipeline). */
  groupId?: string;
  ssl?: boolean;
  sasl?: {
    mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    username: string;
    password: string;
  };
  logger?: Logger;
  metrics?: Metrics;
  /** A publish not acknowledged by then fails with BusUnavailableError (default 5,000 ms). */
  publishTimeoutMs?: number;
  /** Raw value bytes sent in one produce request at most, when publishes queue up (default 1 MiB). */
  maxProduceBytes?: number;
  /**
   * Raw value bytes of publishes allowed to wait for the brokers (default 32 MiB): past it a
   * publish fails at once with BusUnavailableError (503 with Retry-After).
   */
  maxQueuedBytes?: number;
  /** Pause before a batch is delivered again after a retriable failure: doubles from `initial` up to `max` (default 250 ms … 30 s). */
  retryBackoffMs?: { initial: number; max: number };
  /**
   * A fetch returns once the brokers have this many bytes for it (default 64 KiB), or after
   * maxWaitTimeMs with what there is: under load, batches of many messages rather than a few.
   */
  minFetchBytes?: number;
  /** How long a fetch waits for minFetchBytes before it returns what it has (default 250 ms). */
  maxWaitTimeMs?: number;
  /**
   * Batches of this many partitions at most are handed to the handler at once (default 1).
   * More lets the pipeline's writer put a fetch's partitions in one insert, but a batch that
   * fails while others of its fetch are in flight is then delivered again beside them:
   * messages of a key can arrive twice and out of order (the bus contract tests saw both), so
   * it stays 1 until the subscriber keeps per-partition order across such retries.
   */
  partitionsAtOnce?: number;
  /**
   * How often consumer lag is read from the brokers for the metrics (default 2 s). 0 never:
   * then each commit sets its partition's lag as of the batch's fetch, which misses what
   * arrived since.
   */
  lagIntervalMs?: number;
  /** Group session timeout (default 30 s): a consumer silent for longer loses its partitions. */
  sessionTimeoutMs?: number;
  /**
   * Called once when the subscription stops on an error that retrying cannot cure; the
   * process should report unhealthy and exit so that a supervisor restarts it.
   */
  onFatal?: (error: Error) => void;
}

export type ResolvedKafkaBusOptions = Required<
  Omit<KafkaBusOptions, 'sasl' | 'logger' | 'metrics' | 'onFatal'>
> &
  Pick<KafkaBusOptions, 'sasl' | 'logger' | 'metrics' | 'onFatal'>;

export function resolveOptions(options: KafkaBusOptions): ResolvedKafkaBusOptions {
  if (options.brokers.length === 0) throw new Error('the Kafka bus needs at least one broker');
  return {
    clientId: 'rapport',
    topic: EVENTS_TOPIC,
    deadLetterTopic: DEAD_LETTER_TOPIC,
    partitions: 12,
    replicationFactor: 1,
    groupId: 'rapport-pipeline',
    ssl: false,
    publishTimeoutMs: 5000,
    maxProduceBytes: 1024 * 1024,
    maxQueuedBytes: 32 * 1024 * 1024,
    retryBackoffMs: { initial: 250, max: 30_000 },
    minFetchBytes: 64 * 1024,
    maxWaitTimeMs: 250,
    partitionsAtOnce: 1,
    lagIntervalMs: 2_000,
    sessionTimeoutMs: 30_000,
    ...options,
  };
}

/** Delay before attempt `attempt` (1, 2, …) is delivered again: exponential, capped. */
export function backoffDelay(backoff: { initial: number; max: number }, attempt: number): number {
  return Math.min(backoff.max, backoff.initial * 2 ** Math.max(0, attempt - 1));
}
