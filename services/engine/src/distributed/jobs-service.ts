import type { Config } from '@rapport/config';
import { createApp } from '@rapport/http';
import { JobRunner, jobsPlugin, Scheduler } from '@rapport/jobs';
import { Metrics, type Logger } from '@rapport/observability';
import { ALL_JOBS } from '../job-registry.js';
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
  const store = await openCheckedStore(config.store);
  const runner = new JobRunner({ store, logger, metrics, jobs: ALL_JOBS });
  await runner.runs.failInterrupted(Date.now());
  const scheduler = new Scheduler(runner, config.jobs.schedules, logger);
  const app = await createApp({
    config,
    logger,
    metrics,
    title: 'Rapport jobs',
    readiness: [
      { name: 'store', check: () => store.ping() },
      { name: 'migrations', check: () => checkSchema(store) },
    ],
  });
  await app.register(jobsPlugin, { runner, schedules: config.jobs.schedules, scheduler });
  scheduler.start();
  return {
    name: 'jobs',
    app,
    close: closeOnce(async () => {
      await scheduler.stop();
      await app.close();
      await runner.drain();
      await store.close();
    }),
  };
}
