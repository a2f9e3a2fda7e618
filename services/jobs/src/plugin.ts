import { HttpError } from '@rapport/http';
import {
  errorResponseSchema,
  jobListSchema,
  runListQuerySchema,
  runRecordSchema,
} from '@rapport/schemas';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { JobRunner } from './job-runner.js';
import type { Scheduler, Schedules } from './scheduler.js';

export interface JobsPluginOptions {
  runner: JobRunner;
  schedules: Schedules;
  scheduler?: Scheduler;
}

/** Jobs for analysts: list them, start a run, follow runs. */
export const jobsPlugin: FastifyPluginAsyncZod<JobsPluginOptions> = async (app, options) => {
  const { runner } = options;

  // A run needs no parameters, so an empty body (curl -X POST, with or without a JSON content
  // type) means none; anything else is parsed as the default JSON parser does.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (request, body: string | Buffer, done) => {
      if (body.length === 0 || String(body).trim() === '') {
        done(null, undefined);
        return;
      }
      void json(request, String(body), done);
    },
  );

  app.get(
    '/v1/jobs',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['jobs'],
        summary: 'Registered jobs with their schedules and last runs',
        response: { 200: jobListSchema },
      },
    },
    async () => {
      const next = options.scheduler?.nextRuns() ?? {};
      const jobs = await Promise.all(
        runner.jobs.map(async (job) => {
          const [lastRun] = await runner.runs.list({ job: job.name, limit: 1 });
          const live = lastRun && runner.running(lastRun.runId);
          return {
            name: job.name,
            description: job.description,
            phases: [...job.phases],
            schedule: options.schedules[job.name] ?? null,
            nextRunAt: next[job.name] ?? null,
            lastRun: live ?? lastRun ?? null,
          };
        }),
      );
      return { jobs };
    },
  );

  app.post(
    '/v1/jobs/:name/runs',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['jobs'],
        summary: 'Start a run of a job',
        description:
          'Answers 202 with the run at once; 409 with the running run id if the job is running. The body holds the parameters (`{ "asOf": "2024-12-31" }`); none, or an empty body, runs with the defaults.',
        params: z.object({ name: z.string().max(64) }),
        body: z.record(z.string(), z.unknown()).nullish(),
        response: {
          202: runRecordSchema,
          400: errorResponseSchema.describe('a parameter is not valid; the message names it'),
          404: errorResponseSchema.describe('no job of that name; the message lists the jobs'),
          409: errorResponseSchema.describe('a run of this job is going; the message names it'),
        },
      },
    },
    async (request, reply) => {
      const { run } = await runner.start(request.params.name, request.body ?? {}, 'api');
      return reply.status(202).send({ ...run });
    },
  );

  app.get(
    '/v1/jobs/runs',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['jobs'],
        summary: 'Recent runs, newest first, with their timings',
        querystring: runListQuerySchema,
        response: { 200: z.object({ runs: z.array(runRecordSchema) }) },
      },
    },
    async (request) => {
      const runs = await runner.runs.list({
        limit: request.query.limit,
        ...(request.query.job === undefined ? {} : { job: request.query.job }),
      });
      return { runs: runs.map((run) => runner.running(run.runId) ?? run) };
    },
  );

  app.get(
    '/v1/jobs/runs/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['jobs'],
        summary: 'One run: parameters, status, progress, phase timings, rows written, error',
        params: z.object({ id: z.string().max(64) }),
        response: { 200: runRecordSchema, 404: errorResponseSchema },
      },
    },
    async (request) => {
      const run = runner.running(request.params.id) ?? (await runner.runs.get(request.params.id));
      if (!run) throw new HttpError(404, `no run ${request.params.id}`);
      return run;
    },
  );
};
