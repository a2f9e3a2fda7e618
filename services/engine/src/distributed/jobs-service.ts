import type { Config } from '@rapport/config';
import { createApp } from '@rapport/http';
import { JobRunner, jobsPlugin, Scheduler } from '@rapport/jobs';
import { Metrics, type Logger } from '@rapport/observability';
import { AuditLog } from '@rapport/privacy';
import { ProfileRows } from '@rapport/profiles';
import { LatestRuns } from '@rapport/runs';
import { openChangeOutlets } from '../change-sinks.js';
import { createJobs, jobRunStores } from '../job-registry.js';
import { openOutbox, openStreamingSegments, startDelivery } from '../streaming-segments.js';
import { checkSchema, openCheckedStore } from './schema.js';
import { closeOnce, type Service } from './service.js';

/**
 * The one job scheduler of a deployment: runs the configured schedules and the runs asked
 * for over HTTP (`/v1/jobs…` on its own port). Run exactly one: runs of a job are kept apart
 * within a process, and a run left behind by a dead scheduler is marked failed at start.
 */
export async function createJobsService(options: {
  config: Config;
  logger: Logger;
}): Promise<Service> {
  const { config, logger } = options;
  const metrics = new Metrics();
  const store = await openCheckedStore(config, { logger, metrics });
  // Segment changes, recorded in the outbox by every pipeline process and by this one, are
  // delivered from here (the one dispatcher) to Kafka (rapport.segment-changes.v1) and the
  // configured webhooks, each from its durable cursors.
  const { outbox, recordSink, recovered } = await openOutbox(store, { writer: 'jobs' });
  if (recovered > 0) logger.info({ recovered }, 'segment changes recorded after a restart');
  // Evaluation here: the window sweep, job results, start-up catch-up and the reconcile step.
  const streaming = openStreamingSegments({ config, store, logger, metrics, outbox });
  streaming?.catchUp();
  const outlets = openChangeOutlets({ config, logger, metrics, store, durable: true });
  const delivery = await startDelivery({
    outbox,
    outlets: outlets.sinks,
    logger,
    metrics,
    writers: 'all',
  });
  const jobs = createJobs({
    config,
    sinks: [recordSink],
    reconcile: streaming && ((keys, at) => streaming.evaluator.evaluate(keys, at)),
    metrics,
  });
  // Profile rows hold the latest results: rewritten after each rfm, clv or clusters run.
  const rows = new ProfileRows(store, { latest: new LatestRuns(store), logger, metrics });
  const runner = new JobRunner({
    ...jobRunStores(store),
    logger,
    metrics,
    jobs,
    onFinished: (run) => {
      // Segments reading the run's results follow them for the profiles whose values changed.
      if (run.status === 'succeeded') {
        streaming?.evaluator.jobFinished(run.job, run.runId).catch((error: unknown) => {
          logger.warn({ err: error, job: run.job }, 'segments not evaluated after a job run');
        });
      }
      rows.afterRun(run);
    },
  });
  await runner.runs.failInterrupted(Date.now());
  // Segments are saved by the api service: the store is looked at every few seconds.
  const scheduler = new Scheduler(runner, config.jobs.schedules, logger, {
    store,
    everyMs: 5_000,
  });
  const app = await createApp({
    config,
    logger,
    metrics,
    title: 'Rapport jobs',
    audit: (entry) => new AuditLog(store).record(entry),
    readiness: [
      { name: 'store', check: () => store.ping() },
      { name: 'migrations', check: () => checkSchema(store) },
      ...(streaming ? [streaming.readiness] : []),
    ],
  });
  await app.register(jobsPlugin, { runner, schedules: config.jobs.schedules, scheduler });
  scheduler.start();
  return {
    name: 'jobs',
    app,
    close: closeOnce(async () => {
      await runner.cancelRuns().catch((error: unknown) => {
        logger.warn({ err: error }, 'job runs not cancelled: the stop waits for them');
      });
      await scheduler.stop();
      await app.close();
      await runner.drain();
      await streaming?.close();
      await delivery.close();
      await outlets.close();
      await rows.close();
      await store.close();
    }),
  };
}
