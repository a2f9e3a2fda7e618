import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from '@rapport/observability';
import type { ResolvedKafkaBusOptions } from './options.js';

/** kafkajs logs through the service's pino logger, at the level pino is set to. */
function logCreator(logger: Logger | undefined) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      if (!logger) return;
      const { message, timestamp: _timestamp, ...extra } = log;
      const fields = { kafka: namespace, ...extra };
      if (level === logLevel.ERROR) logger.error(fields, message);
      else if (level === logLevel.WARN) logger.warn(fields, message);
      else if (level === logLevel.INFO) logger.debug(fields, message);
      else logger.trace(fields, message);
    };
}

/** A kafkajs client; `quick` ones give up fast, for health checks. */
export function createKafka(options: ResolvedKafkaBusOptions, quick = false): Kafka {
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    ssl: options.ssl,
    connectionTimeout: quick ? 1000 : 3000,
    requestTimeout: quick ? 2000 : 30_000,
    retry: quick ? { retries: 0 } : { initialRetryTime: 200, retries: 5 },
    logLevel: logLevel.INFO,
    logCreator: logCreator(options.logger),
  };
  if (options.sasl) {
    const { mechanism, username, password } = options.sasl;
    config.sasl = { mechanism, username, password } as KafkaConfig['sasl'];
  }
  return new Kafka(config);
}
