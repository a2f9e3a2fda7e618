import type { Config } from '@rapport/config';
import { createApp } from '@rapport/http';
import { importRoute, ingestPlugin, providerRoutes } from '@rapport/ingest';
import { Metrics, type Logger } from '@rapport/observability';
import { kafkaBusOf, kafkaOf } from './kafka.js';
import { closeOnce, type Service } from './service.js';

/**
 * The HTTP collector alone: validated events go to Kafka, and a 2xx answer means every
 * in-sync replica has them. It writes nothing to the store, so it scales with traffic alone.
 */
export async function createIngestService(options: {
  config: Config;
  logger: Logger;
}): Promise<Service> {
  const { config, logger } = options;
  const metrics = new Metrics();
  const bus = kafkaBusOf({ kafka: kafkaOf(config), logger, metrics });
  // Create the topics and connect now if Kafka is up; if not, readiness says so and each
  // request answers 503 until it is.
  bus
    .start()
    .catch((error: unknown) =>
      logger.warn({ err: error }, 'Kafka is not reachable yet; answering 503 until it is'),
    );
  const app = await createApp({
    config,
    logger,
    metrics,
    title: 'Rapport ingest',
    readiness: [{ name: 'kafka', check: () => bus.check() }],
  });
  await app.register(ingestPlugin, { bus, limits: config.ingest, metrics });
  await app.register(importRoute, { bus, limits: config.ingest, metrics });
  // No store here: provider events need a customer id in their custom arguments.
  await app.register(providerRoutes, {
    bus,
    limits: config.ingest,
    keys: config.providers,
    metrics,
  });
  return {
    name: 'ingest',
    app,
    close: closeOnce(async () => {
      await app.close();
      await bus.close();
    }),
  };
}
