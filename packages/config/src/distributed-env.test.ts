import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireDistributed } from './config.js';

const distributed = {
  KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092',
  CLICKHOUSE_URL: 'http://ch:8123',
};

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('distributed configuration', () => {
  it('has no Kafka section and no cluster without the variables', () => {
    const config = loadConfig({});
    expect(config.kafka).toBeUndefined();
    expect(config.store).not.toHaveProperty('cluster');
  });

  it('reads the brokers and fills in the defaults', () => {
    const config = loadConfig(distributed);
    expect(config.kafka).toEqual({
      brokers: ['kafka-1:9092', 'kafka-2:9092'],
      clientId: 'rapport',
      eventsTopic: 'rapport.events.v1',
      deadLetterTopic: 'rapport.events.dlq.v1',
      topicPartitions: 12,
      replicationFactor: 1,
      consumerGroup: 'rapport-pipeline',
      sessionTimeoutMs: 30_000,
      ssl: false,
    });
    expect(Object.isFrozen(config.kafka?.brokers)).toBe(true);
  });

  it('takes a session timeout within what the brokers allow', () => {
    const config = loadConfig({ ...distributed, KAFKA_SESSION_TIMEOUT_MS: '6000' });
    expect(config.kafka?.sessionTimeoutMs).toBe(6000);
    expect(() => loadConfig({ ...distributed, KAFKA_SESSION_TIMEOUT_MS: '1000' })).toThrow(
      /KAFKA_SESSION_TIMEOUT_MS/,
    );
  });

  it('takes partitions, replication, group, TLS and SASL', () => {
    const config = loadConfig({
      ...distributed,
      KAFKA_CLIENT_ID: 'rapport-eu',
      KAFKA_TOPIC_PARTITIONS: '48',
      KAFKA_REPLICATION_FACTOR: '3',
      KAFKA_CONSUMER_GROUP: 'pipeline-eu',
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'rapport',
      KAFKA_SASL_PASSWORD: 'secret-password',
    });
    expect(config.kafka).toMatchObject({
      clientId: 'rapport-eu',
      topicPartitions: 48,
      replicationFactor: 3,
      consumerGroup: 'pipeline-eu',
      ssl: true,
      sasl: { mechanism: 'scram-sha-512', username: 'rapport', password: 'secret-password' },
    });
  });

  it('names bad Kafka values and never echoes the SASL password', () => {
    const message = problemsOf(() =>
      loadConfig({
        KAFKA_BROKERS: 'kafka-1',
        KAFKA_TOPIC_PARTITIONS: '0',
        KAFKA_SASL_MECHANISM: 'gssapi',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'hunter2-secret',
      }),
    );
    expect(message).toMatch(/KAFKA_BROKERS: "kafka-1" must be host:port/);
    expect(message).toMatch(/KAFKA_TOPIC_PARTITIONS: .*\(got "0"\)/);
    expect(message).toMatch(/KAFKA_SASL_MECHANISM/);
    expect(message).not.toContain('hunter2-secret');
  });

  it('asks for all three SASL variables together', () => {
    expect(problemsOf(() => loadConfig({ ...distributed, KAFKA_SASL_USERNAME: 'u' }))).toMatch(
      /KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD together/,
    );
  });

  it('puts the cluster on the store, and refuses a cluster without a server', () => {
    const config = loadConfig({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'rapport' });
    expect(config.store).toMatchObject({ mode: 'http', cluster: 'rapport' });
    expect(problemsOf(() => loadConfig({ CLICKHOUSE_CLUSTER: 'rapport' }))).toMatch(
      /CLICKHOUSE_CLUSTER: .*set CLICKHOUSE_URL/,
    );
    expect(problemsOf(() => loadConfig({ ...distributed, CLICKHOUSE_CLUSTER: 'a-b' }))).toMatch(
      /CLICKHOUSE_CLUSTER: must be a plain identifier/,
    );
  });

  it('lets a service run apart only with Kafka and (but ingest) a ClickHouse server', () => {
    expect(() => requireDistributed(loadConfig(distributed), 'pipeline')).not.toThrow();
    const neither = problemsOf(() => requireDistributed(loadConfig({}), 'pipeline'));
    expect(neither).toMatch(/KAFKA_BROKERS: "rapport pipeline" runs as a separate process/);
    expect(neither).toMatch(/CLICKHOUSE_URL: "rapport pipeline"/);
    const ingest = problemsOf(() => requireDistributed(loadConfig({}), 'ingest'));
    expect(ingest).toMatch(/KAFKA_BROKERS/);
    expect(ingest).not.toMatch(/CLICKHOUSE_URL/);
    expect(() =>
      requireDistributed(loadConfig({ KAFKA_BROKERS: 'k:9092' }), 'ingest'),
    ).not.toThrow();
    const noServer = problemsOf(() =>
      requireDistributed(loadConfig({ KAFKA_BROKERS: 'k:9092' }), 'api'),
    );
    expect(noServer).toMatch(/CLICKHOUSE_URL/);
    expect(noServer).not.toMatch(/KAFKA_BROKERS/);
  });

  it('runs the job scheduler apart on a ClickHouse server, without Kafka', () => {
    const jobs = problemsOf(() => requireDistributed(loadConfig({}), 'jobs'));
    expect(jobs).toMatch(/CLICKHOUSE_URL: "rapport jobs"/);
    expect(jobs).not.toMatch(/KAFKA_BROKERS/);
    expect(() =>
      requireDistributed(loadConfig({ CLICKHOUSE_URL: 'http://ch:8123' }), 'jobs'),
    ).not.toThrow();
  });
});
