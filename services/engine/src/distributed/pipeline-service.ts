import { randomUUID } from 'node:crypto';
import type { Config } from '@rapport/config';
import { createApp } from '@rapport/http';
import { Metrics, type Logger } from '@rapport/observability';
import { startPipeline } from '@rapport/pipeline';
import { ProfileRows } from '@rapport/profiles';
import { LatestRuns } from '@rapport/runs';
import type { Store } from '@rapport/store';
import { openOutbox, openStreamingSegments } from '../streaming-segments.js';
import { kafkaBusOf, kafkaOf } from './kafka.js';
import { checkSchema, openCheckedStore } from './schema.js';
import { closeOnce, type Service } from './service.js';

/**
 * Kafka → dedup → ClickHouse, with a small HTTP server for /healthz, /readyz and /metrics.
 * Each process is one member of the consumer group; run up to one per partition.
 * `onFatal` hears of an error that retrying cannot cure: the caller exits, a supervisor
 * restarts the process, and the batch that failed is delivered again (it was not committed).
 */
export async function createPipelineService(options: {
  config: Config;
  logger: Logger;
  onFatal: (error: Error) => void;
  /** Wraps the store the pipeline writes through (fault tests); the service closes it. */
  wrapStore?: (store: Store) => Store;
}): Promise<Service> {
  const { config, logger, wrapStore = (store) => store } = options;
  const metrics = new Metrics();
  const store = wrapStore(await openCheckedStore(config, { logger, metrics }));
  const bus = kafkaBusOf({ kafka: kafkaOf(config), logger, metrics, onFatal: options.onFatal });
  const cluster = config.store.mode === 'http' ? config.store.cluster : undefined;
  // The rows of the profiles each committed batch touched are rewritten behind it.
  const rows = new ProfileRows(store, { latest: new LatestRuns(store), logger, metrics });
  // Streaming segment evaluation of the profiles each committed batch touched: a profile's
  // events are in one partition, so one process at a time evaluates it. Changes are recorded
  // in the outbox under this process's own name; the jobs service delivers them.
  let streaming: ReturnType<typeof openStreamingSegments>;
  try {
    const { outbox } = await openOutbox(store, { writer: `pipeline-${randomUUID().slice(0, 8)}` });
    streaming = openStreamingSegments({ config, store, logger, metrics, outbox, sweep: false });
  } catch (error) {
    await bus.close();
    await store.close();
    throw error;
  }
  let pipeline;
  try {
    pipeline = await startPipeline({
      store,
      bus,
      logger,
      metrics,
      batch: config.batch,
      onCommitted: (keys) => {
        rows.touched(keys);
        streaming?.evaluator.committed(keys);
      },
      // Rows are checked when read here: rebuilt projections only make some due a rewrite.
      onRepaired: (keys) => {
        if (keys === undefined) return;
        rows.touched(keys);
        streaming?.evaluator.touched(keys);
      },
      // Through a distributed table, an insert succeeds only once every shard has its rows.
      ...(cluster === undefined ? {} : { insertSettings: { distributed_foreground_insert: 1 } }),
    });
  } catch (error) {
    await bus.close();
    await streaming?.close();
    await store.close();
    throw error;
  }
  const app = await createApp({
    config,
    logger,
    metrics,
    title: 'Rapport pipeline',
    readiness: [
      { name: 'store', check: () => store.ping() },
      { name: 'migrations', check: () => checkSchema(store) },
      { name: 'kafka', check: () => bus.check() },
      ...(streaming ? [streaming.readiness] : []),
    ],
  });
  return {
    name: 'pipeline',
    app,
    close: closeOnce(async () => {
      // Stop fetching, let the batch in hand be written and committed, then flush and close.
      await bus.close();
      await pipeline.stop();
      // What the last batches touched is evaluated and recorded before the process goes.
      await streaming?.evaluator.idle();
      await streaming?.close();
      await app.close();
      await rows.close();
      await store.close();
    }),
  };
}
