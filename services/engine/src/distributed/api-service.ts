import { apiPlugin, createProfiles } from '@rapport/api';
import { consolePlugin } from '@rapport/console';
import type { Config } from '@rapport/config';
import { createApp, heavyQueryGate } from '@rapport/http';
import { Metrics, type Logger } from '@rapport/observability';
import { AuditLog, ErasureService } from '@rapport/privacy';
import { kafkaBusOf, kafkaOf } from './kafka.js';
import { checkSchema, openCheckedStore } from './schema.js';
import { closeOnce, type Service } from './service.js';

/**
 * The query API on the ClickHouse server. It publishes to Kafka only for the corrections it
 * accepts (identity unlinks). Profiles are read from the store on every request: the pipeline
 * that would keep an in-memory cache exact runs in other processes.
 */
export async function createApiService(options: {
  config: Config;
  logger: Logger;
}): Promise<Service> {
  const { config, logger } = options;
  const metrics = new Metrics();
  const store = await openCheckedStore(config, { logger, metrics });
  const bus = kafkaBusOf({ kafka: kafkaOf(config), logger, metrics });
  // No cache: the pipeline that would keep it exact runs elsewhere. Job results are read
  // again after a few seconds: the jobs run in another process.
  const { latest, rows, profiles } = createProfiles({
    store,
    config,
    metrics,
    logger,
    cacheBytes: 0,
  });
  // Erasures run here: their deletes reach every shard and replica (ON CLUSTER), and the
  // pipelines drop the erased customers' events still in Kafka by the suppression list.
  const erasures = new ErasureService({
    store,
    logger,
    onSuppressed: (keys) => rows.exclude(keys),
    onErased: () => latest.invalidate(),
  });
  const audit = new AuditLog(store);
  const app = await createApp({
    config,
    logger,
    metrics,
    title: 'Rapport API',
    audit: (entry) => audit.record(entry),
    readiness: [
      { name: 'store', check: () => store.ping() },
      { name: 'migrations', check: () => checkSchema(store) },
      { name: 'kafka', check: () => bus.check() },
    ],
  });
  await app.register(apiPlugin, {
    store,
    bus,
    profiles,
    latest,
    currency: config.ingest.reportingCurrency,
    privacy: { erasures, audit },
    heavyQueries: heavyQueryGate(config.limits.heavyQueries, config.store.mode),
  });
  await erasures.resume();
  await app.register(consolePlugin);
  return {
    name: 'api',
    app,
    close: closeOnce(async () => {
      await app.close();
      await erasures.drain();
      await bus.close();
      await rows.close();
      await store.close();
    }),
  };
}
