import { KafkaBus } from '@rapport/bus';
import type { Config, KafkaConfig } from '@rapport/config';
import type { Logger, Metrics } from '@rapport/observability';

/** The Kafka bus as the configuration describes it. */
export function kafkaBusOf(options: {
  kafka: KafkaConfig;
  logger: Logger;
  metrics: Metrics;
  onFatal?: (error: Error) => void;
}): KafkaBus {
  const { kafka, logger, metrics, onFatal } = options;
  return new KafkaBus({
    brokers: kafka.brokers,
    clientId: kafka.clientId,
    topic: kafka.eventsTopic,
    deadLetterTopic: kafka.deadLetterTopic,
    partitions: kafka.topicPartitions,
    replicationFactor: kafka.replicationFactor,
    groupId: kafka.consumerGroup,
    sessionTimeoutMs: kafka.sessionTimeoutMs,
    ssl: kafka.ssl,
    ...(kafka.sasl ? { sasl: { ...kafka.sasl } } : {}),
    logger,
    metrics,
    ...(onFatal ? { onFatal } : {}),
  });
}

/** The Kafka section, which requireDistributed has checked is there. */
export function kafkaOf(config: Config): KafkaConfig {
  if (!config.kafka) throw new Error('KAFKA_BROKERS is not set');
  return config.kafka;
}
