import type { Config } from '@rapport/config';
import { JobRunner, type RunRecord } from '@rapport/jobs';
import { migrationsDir } from '@rapport/schemas';
import { migrate, openStore } from '@rapport/store';
import { SingleBar, Presets } from 'cli-progress';
import { Metrics, type Logger } from '@rapport/observability';
import { openChangeOutlets } from '../change-sinks.js';
import { createJobs } from '../job-registry.js';
import { keyAdvice } from './client.js';
import { storeHolder } from '../engine-address.js';

export interface JobCommandOptions {
  /** A running engine to ask instead of opening the store here. */
  url?: string;
  apiKey?: string;
}

function progressBar() {
  const bar = new SingleBar(
    { format: ' {bar} {value}/{total} phases | {phase} | {duration_formatted}', hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(run: RunRecord) {
      if (!run.progress) return;
      if (!started) {
        bar.start(run.progress.total, run.progress.done, { phase: run.progress.phase });
        started = true;
      } else {
        bar.update(run.progress.done, { phase: run.progress.phase });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function printRun(run: RunRecord) {
  const lines = [
    `run       ${run.runId}`,
    `job       ${run.job} ${JSON.stringify(run.params)}`,
    `status    ${run.status}${run.error ? `: ${run.error}` : ''}`,
    `rows      ${run.rowsWritten}`,
    ...run.phases.map(
      (phase) => `phase     ${phase.name.padEnd(16)} ${phase.seconds.toFixed(2)} s`,
    ),
    `total     ${((Date.parse(run.finishedAt ?? run.startedAt) - Date.parse(run.startedAt)) / 1000).toFixed(2)} s`,
    `summary   ${JSON.stringify(run.summary)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** An answer of the engine other than a success, with its status. */
class RequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function request<T>(options: JobCommandOptions, path: string, init: RequestInit = {}) {
  const response = await fetch(new URL(path, options.url), {
    ...init,
    headers: {
      'content-type': 'application/json',
      ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    },
  });
  const text = await response.text();
  let body: (T & { message?: string }) | undefined;
  try {
    body = JSON.parse(text) as T & { message?: string };
  } catch {
    body = undefined;
  }
  if (!response.ok || body === undefined) {
    const said = body?.message ?? (text.trim() || response.statusText);
    const advice =
      response.status === 401 || response.status === 403
        ? `; ${keyAdvice(response.status, options.apiKey !== undefined)}`
        : '';
    throw new RequestError(
      `${init.method ?? 'GET'} ${path} answered ${response.status}: ${said}${advice}`,
      response.status,
    );
  }
  return body;
}

/**
 * Opens the store here; when another process (a running engine) holds it, says how to ask
 * that engine instead of printing the store's own error.
 */
async function openLocalStore(config: Config) {
  if (config.store.mode === 'embedded') {
    const holder = storeHolder(config.store.dataDir);
    if (holder !== undefined) throw new Error(inUse(config.store.dataDir, holder));
  }
  try {
    return await openStore(config.store);
  } catch (error) {
    if (
      config.store.mode === 'embedded' &&
      /Cannot lock file|code: 76\b|another rapport process/i.test(String(error))
    ) {
      throw new Error(inUse(config.store.dataDir));
    }
    throw error;
  }
}

const inUse = (dataDir: string, pid?: number) =>
  `the data directory ${dataDir} is in use by another process${pid === undefined ? '' : ` (pid ${pid})`}, most likely a running engine: ask it with --url http://127.0.0.1:8080 (its address; or set RAPPORT_URL), or stop it first`;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a run on the engine. While a run of the job is going (one the schedule or a saved
 * segment started, say), says so and starts this one when that one has ended.
 */
async function startRemotely(
  name: string,
  params: Record<string, unknown>,
  options: JobCommandOptions,
): Promise<RunRecord> {
  for (;;) {
    try {
      return await request<RunRecord>(options, `/v1/jobs/${name}/runs`, {
        method: 'POST',
        body: JSON.stringify(params),
      });
    } catch (error) {
      if (!(error instanceof RequestError) || error.status !== 409) throw error;
    }
    const { jobs } = await request<{ jobs: { name: string; lastRun: RunRecord | null }[] }>(
      options,
      '/v1/jobs',
    );
    const going = jobs.find((job) => job.name === name)?.lastRun;
    if (going?.status !== 'running') {
      // Ended between the two requests: try again.
      await pause(250);
      continue;
    }
    process.stderr.write(
      `${name} is running already (run ${going.runId}, started by ${going.trigger}): this run starts when it has ended\n`,
    );
    let run = going;
    while (run.status === 'running') {
      await pause(250);
      run = await request<RunRecord>(options, `/v1/jobs/runs/${going.runId}`);
    }
  }
}

async function runRemotely(
  name: string,
  params: Record<string, unknown>,
  options: JobCommandOptions,
) {
  const started = await startRemotely(name, params, options);
  const bar = progressBar();
  let run = started;
  bar.update(run);
  while (run.status === 'running') {
    await pause(250);
    run = await request<RunRecord>(options, `/v1/jobs/runs/${started.runId}`);
    bar.update(run);
  }
  bar.stop();
  return run;
}

async function runLocally(
  name: string,
  params: Record<string, unknown>,
  context: { config: Config; logger: Logger },
) {
  const store = await openLocalStore(context.config);
  const outlets = openChangeOutlets({ ...context, metrics: new Metrics(), store });
  try {
    await migrate(store, migrationsDir, context.logger);
    const jobs = createJobs({ config: context.config, sinks: outlets.sinks });
    const runner = new JobRunner({ store, logger: context.logger, jobs });
    const bar = progressBar();
    runner.on('progress', (run) => bar.update(run));
    const { finished } = await runner.start(name, params, 'cli');
    const run = await finished;
    bar.stop();
    return run;
  } finally {
    await outlets.close();
    await store.close();
  }
}

/** `rapport jobs run <name>`: runs a job in the foreground and prints its summary. */
export async function runJobCommand(
  name: string,
  params: Record<string, unknown>,
  context: { config: Config; logger: Logger } & JobCommandOptions,
): Promise<boolean> {
  const run =
    context.url === undefined
      ? await runLocally(name, params, context)
      : await runRemotely(name, params, context);
  printRun(run);
  return run.status === 'succeeded';
}

/** `rapport jobs list`: jobs, schedules and last runs. */
export async function listJobsCommand(
  context: { config: Config; logger: Logger } & JobCommandOptions,
) {
  type Listing = {
    jobs: {
      name: string;
      description: string;
      schedule: string | null;
      lastRun: RunRecord | null;
    }[];
  };
  let listing: Listing;
  if (context.url !== undefined) {
    listing = await request<Listing>(context, '/v1/jobs');
  } else {
    const store = await openLocalStore(context.config);
    try {
      await migrate(store, migrationsDir, context.logger);
      // Listing only: the jobs' change sinks are never used.
      const jobs = createJobs({ config: context.config, sinks: [] });
      const runner = new JobRunner({ store, logger: context.logger, jobs });
      listing = {
        jobs: await Promise.all(
          jobs.map(async (job) => ({
            name: job.name,
            description: job.description,
            schedule: context.config.jobs.schedules[job.name] ?? null,
            lastRun: (await runner.runs.list({ job: job.name, limit: 1 }))[0] ?? null,
          })),
        ),
      };
    } finally {
      await store.close();
    }
  }
  for (const job of listing.jobs) {
    const last = job.lastRun
      ? `${job.lastRun.status} ${job.lastRun.startedAt} (${job.lastRun.runId})`
      : 'never run';
    process.stdout.write(
      `${job.name.padEnd(10)} ${(job.schedule ?? 'not scheduled').padEnd(16)} last: ${last}\n           ${job.description}\n`,
    );
  }
}
