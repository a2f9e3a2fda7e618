import { KafkaChangeFeed, type ChangeSink, type InProcessChangeFeed } from '@rapport/bus';
import type { Config } from '@rapport/config';
import type { Logger, Metrics } from '@rapport/observability';
import { suppressedChanges } from '@rapport/privacy';
import type { SegmentChange } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { createChangeSinks } from '@rapport/webhooks';

/** Where a process that runs the segments job sends entries and exits. */
export interface ChangeOutlets {
  sinks: ChangeSink[];
  close(): Promise<void>;
}

/**
 * The in-process feed when given (the embedded engine), else Kafka (topic
 * rapport.segment-changes.v1) when KAFKA_BROKERS is set; plus the webhooks
 * RAPPORT_WEBHOOK_URLS lists, which leave out the changes of customers erased before each
 * attempt (the suppression list of `store`).
 */
export function openChangeOutlets(options: {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** The store whose suppression list the webhooks check. */
  store: Store;
  inProcess?: InProcessChangeFeed;
  /** Webhook sinks resolve once delivered (outlets of the segment change outbox). */
  durable?: boolean;
  /**
   * Which changes are erased customers' (default: the suppression list of `store`, read at
   * every attempt); the embedded engine answers from memory (SuppressionMemo).
   */
  withhold?: (changes: readonly SegmentChange[]) => Promise<readonly boolean[]>;
}): ChangeOutlets {
  const { config, logger, metrics, inProcess, store } = options;
  const kafka =
    config.kafka && !inProcess
      ? new KafkaChangeFeed({
          brokers: config.kafka.brokers,
          clientId: config.kafka.clientId,
          partitions: config.kafka.topicPartitions,
          replicationFactor: config.kafka.replicationFactor,
          ssl: config.kafka.ssl,
          ...(config.kafka.sasl ? { sasl: { ...config.kafka.sasl } } : {}),
          logger,
          metrics,
        })
      : undefined;
  const sinks = createChangeSinks({
    config,
    logger,
    metrics,
    kafka,
    inProcess,
    durable: options.durable === true,
    withhold: options.withhold ?? ((changes) => suppressedChanges(store, changes)),
  });
  return {
    sinks,
    close: async () => {
      await Promise.allSettled(sinks.map((sink) => sink.close()));
    },
  };
}
