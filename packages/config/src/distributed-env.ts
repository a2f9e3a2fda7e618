import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** `host:port,host:port`: the Kafka bootstrap brokers. */
const brokerList = z
  .string()
  .transform((raw, ctx): string[] => {
    const brokers = raw
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
    if (brokers.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must list at least one broker as host:port' });
    }
    for (const broker of brokers) {
      if (
        !/^[A-Za-z0-9._-]+:[0-9]{1,5}$/.test(broker) &&
        !/^\[[0-9A-Fa-f:]+\]:[0-9]{1,5}$/.test(broker)
      ) {
        ctx.addIssue({ code: 'custom', message: `"${broker}" must be host:port` });
      }
    }
    return brokers;
  })
  .optional();

/**
 * The variables of distributed mode: Kafka carries events between separate ingest, pipeline
 * and api processes; a ClickHouse cluster may hold the tables. All are optional: without
 * KAFKA_BROKERS the engine runs in one process on the in-process bus.
 */
const topicName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be 1–249 characters of A-Z a-z 0-9 . _ -');

export const distributedEnvShape = {
  /** Kafka bootstrap brokers, `host:port` separated by commas; enables the Kafka bus. */
  KAFKA_BROKERS: brokerList,
  /** Client id the brokers see in their logs and quotas. */
  KAFKA_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1–100 characters of A-Z a-z 0-9 . _ -')
    .default('rapport'),
  /** The topic events travel on; another name keeps two deployments on one cluster apart. */
  KAFKA_EVENTS_TOPIC: topicName.default('rapport.events.v1'),
  /** Where events that cannot be decoded or stored go, with the reason. */
  KAFKA_DEAD_LETTER_TOPIC: topicName.default('rapport.events.dlq.v1'),
  /** Partitions of the topics when Rapport creates them: the most pipeline consumers that help. */
  KAFKA_TOPIC_PARTITIONS: int(1, 10_000).default(12),
  /** Replicas of each partition when Rapport creates topics: 1 for development, 3 in production. */
  KAFKA_REPLICATION_FACTOR: int(1, 16).default(1),
  /** Consumer group of the pipeline processes; they share the partitions among themselves. */
  KAFKA_CONSUMER_GROUP: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be 1–200 characters of A-Z a-z 0-9 . _ -')
    .default('rapport-pipeline'),
  /**
   * A pipeline process silent this long (ms) loses its partitions to the others; the brokers
   * allow 6 s to 5 min by default. Lower recovers sooner after a crash (default 30 s).
   */
  KAFKA_SESSION_TIMEOUT_MS: int(6000, 300_000).default(30_000),
  /** `true` connects to the brokers over TLS (with the system's trusted certificates). */
  KAFKA_SSL: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  /** SASL mechanism, with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD. */
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  /**
   * A ClickHouse cluster (as named in the server's remote_servers): migrations then create
   * replicated tables ON CLUSTER with distributed tables in front. Needs CLICKHOUSE_URL.
   */
  CLICKHOUSE_CLUSTER: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain identifier (letters, digits, _)')
    .optional(),
} as const;

/** The Kafka section of the configuration, present when KAFKA_BROKERS is set. */
export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly eventsTopic: string;
  readonly deadLetterTopic: string;
  readonly topicPartitions: number;
  readonly replicationFactor: number;
  readonly consumerGroup: string;
  readonly sessionTimeoutMs: number;
  readonly ssl: boolean;
  readonly sasl?: {
    readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  };
}

interface DistributedEnv {
  KAFKA_BROKERS?: string[] | undefined;
  KAFKA_CLIENT_ID: string;
  KAFKA_EVENTS_TOPIC: string;
  KAFKA_DEAD_LETTER_TOPIC: string;
  KAFKA_TOPIC_PARTITIONS: number;
  KAFKA_REPLICATION_FACTOR: number;
  KAFKA_CONSUMER_GROUP: string;
  KAFKA_SESSION_TIMEOUT_MS: number;
  KAFKA_SSL: boolean;
  KAFKA_SASL_MECHANISM?: 'plain' | 'scram-sha-256' | 'scram-sha-512' | undefined;
  KAFKA_SASL_USERNAME?: string | undefined;
  KAFKA_SASL_PASSWORD?: string | undefined;
  CLICKHOUSE_CLUSTER?: string | undefined;
  CLICKHOUSE_URL?: string | undefined;
}

/** Checks that need more than one variable; each problem names the variables involved. */
export function distributedProblems(e: DistributedEnv): string[] {
  const problems: string[] = [];
  if (e.CLICKHOUSE_CLUSTER !== undefined && e.CLICKHOUSE_URL === undefined) {
    problems.push(
      'CLICKHOUSE_CLUSTER: a cluster needs a ClickHouse server; set CLICKHOUSE_URL too',
    );
  }
  const sasl = [e.KAFKA_SASL_MECHANISM, e.KAFKA_SASL_USERNAME, e.KAFKA_SASL_PASSWORD];
  if (sasl.some((value) => value !== undefined) && sasl.some((value) => value === undefined)) {
    problems.push(
      'KAFKA_SASL_MECHANISM: SASL needs KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD together',
    );
  }
  if (e.KAFKA_BROKERS === undefined && (sasl.some((value) => value !== undefined) || e.KAFKA_SSL)) {
    problems.push('KAFKA_BROKERS: Kafka settings are given but no brokers to connect to');
  }
  return problems;
}

export function kafkaConfigOf(e: DistributedEnv): KafkaConfig | undefined {
  if (e.KAFKA_BROKERS === undefined) return undefined;
  return {
    brokers: e.KAFKA_BROKERS,
    clientId: e.KAFKA_CLIENT_ID,
    eventsTopic: e.KAFKA_EVENTS_TOPIC,
    deadLetterTopic: e.KAFKA_DEAD_LETTER_TOPIC,
    topicPartitions: e.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: e.KAFKA_REPLICATION_FACTOR,
    consumerGroup: e.KAFKA_CONSUMER_GROUP,
    sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
    ssl: e.KAFKA_SSL,
    ...(e.KAFKA_SASL_MECHANISM && e.KAFKA_SASL_USERNAME && e.KAFKA_SASL_PASSWORD
      ? {
          sasl: {
            mechanism: e.KAFKA_SASL_MECHANISM,
            username: e.KAFKA_SASL_USERNAME,
            password: e.KAFKA_SASL_PASSWORD,
          },
        }
      : {}),
  };
}

/** The services that run apart in distributed mode. */
export type DistributedService = 'ingest' | 'pipeline' | 'api' | 'jobs';

/**
 * What stops `service` from running as a separate process: it needs Kafka between the
 * processes (but for jobs, which only read and write the store), and (but for ingest, which
 * never touches the store) a ClickHouse server they all reach. Each problem names the
 * missing variable.
 */
export function distributedServiceProblems(
  config: { kafka?: KafkaConfig | undefined; store: { mode: 'embedded' | 'http' } },
  service: DistributedService,
): string[] {
  const why = `"rapport ${service}" runs as a separate process`;
  const problems: string[] = [];
  if (config.kafka === undefined && service !== 'jobs') {
    problems.push(`KAFKA_BROKERS: ${why} and needs Kafka between the services`);
  }
  if (service !== 'ingest' && config.store.mode !== 'http') {
    problems.push(`CLICKHOUSE_URL: ${why} and needs a ClickHouse server every service reaches`);
  }
  return problems;
}
