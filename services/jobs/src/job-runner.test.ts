import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrationsDir } from '@rapport/schemas';
import { cancellable, migrate, onLane, openStore, type Store } from '@rapport/store';
import { pino } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob, JobRunningError, type RunRecord } from './job.js';
import { JobRunner } from './job-runner.js';
import { Scheduler } from './scheduler.js';

const logger = pino({ level: 'silent' });
let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rapport-jobs-'));
  store = await openStore({
    mode: 'embedded',
    dataDir: dir,
    database: 'jobs_test',
    readConnections: 1,
  });
  await migrate(store, migrationsDir);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

let release: () => void = () => undefined;
const slow = defineJob({
  name: 'slow',
  description: 'waits until released',
  params: z.object({ label: z.string().default('x') }),
  phases: ['wait', 'count'],
  async run(context, { label }) {
    await context.phase('wait', () => new Promise<void>((resolve) => (release = resolve)));
    await context.phase('count', async () => context.wrote(7));
    return { label };
  },
});
const failing = defineJob({
  name: 'failing',
  description: 'fails in its second phase',
  params: z.object({}),
  phases: ['ok', 'boom'],
  async run(context) {
    await context.phase('ok', async () => undefined);
    await context.phase('boom', () => store.query('SELECT no_such_column FROM events'));
    return {};
  },
});
const quick = defineJob({
  name: 'quick',
  description: 'does nothing, quickly',
  params: z.object({}),
  phases: ['nothing'],
  async run(context) {
    await context.phase('nothing', async () => undefined);
    return { done: true };
  },
});

describe('JobRunner', () => {
  it('records a run with its parameters, phase timings, rows and summary', async () => {
    const runner = new JobRunner({ store, logger, jobs: [slow, failing, quick] });
    const progress: string[] = [];
    runner.on('progress', (run) => progress.push(`${run.progress?.phase}:${run.progress?.done}`));
    const { runId, finished } = await runner.start('slow', { label: 'first' }, 'cli');
    expect((await runner.runs.get(runId))?.status).toBe('running');
    release();
    const run = await finished;
    expect(run).toMatchObject({
      status: 'succeeded',
      params: { label: 'first' },
      rowsWritten: 7,
      summary: { label: 'first' },
    });
    expect(run.phases.map((phase) => phase.name)).toEqual(['wait', 'count']);
    expect(progress).toEqual(['wait:0', 'wait:1', 'count:1', 'count:2']);
    const stored = await runner.runs.get(runId);
    expect(stored).toMatchObject({
      status: 'succeeded',
      rowsWritten: 7,
      trigger: 'cli',
      error: null,
    });
    expect(stored?.phases).toHaveLength(2);
    expect(stored?.finishedAt).not.toBeNull();
  });

  it('records instants a job reads as epoch ms (asOf, calibrationEnd) as ISO text', async () => {
    const timed = defineJob({
      name: 'timed',
      description: 'reads its asOf as epoch ms',
      params: z.object({
        asOf: z.string().transform((value) => Date.parse(value)),
        calibrationEnd: z.number().optional(),
      }),
      phases: ['nothing'],
      async run(context, { asOf }) {
        await context.phase('nothing', async () => undefined);
        return { asOfMs: asOf };
      },
    });
    const runner = new JobRunner({ store, logger, jobs: [timed] });
    const { runId, finished } = await runner.start(
      'timed',
      { asOf: '2024-12-31T23:59:59.999Z', calibrationEnd: Date.UTC(2024, 5, 30) },
      'api',
    );
    const run = await finished;
    expect(run.summary).toEqual({ asOfMs: Date.UTC(2024, 11, 31, 23, 59, 59, 999) });
    const stored = await runner.runs.get(runId);
    expect(stored?.params).toEqual({
      asOf: '2024-12-31T23:59:59.999Z',
      calibrationEnd: '2024-06-30T00:00:00.000Z',
    });
  });

  it('refuses a second run of a job while one runs, naming the running run', async () => {
    const runner = new JobRunner({ store, logger, jobs: [slow] });
    const first = await runner.start('slow', {}, 'api');
    const refused = await runner.start('slow', {}, 'api').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(JobRunningError);
    expect((refused as JobRunningError).runId).toBe(first.runId);
    release();
    await first.finished;
    const again = await runner.start('slow', {}, 'api');
    release();
    expect((await again.finished).status).toBe('succeeded');
  });

  it('records a failed run as failed, with its error and the phases it completed', async () => {
    const runner = new JobRunner({ store, logger, jobs: [failing] });
    const { runId, finished } = await runner.start('failing', {}, 'api');
    const run = await finished;
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/no_such_column/);
    const stored = await runner.runs.get(runId);
    expect(stored).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/no_such_column/),
    });
    expect(stored?.phases.map((phase) => phase.name)).toEqual(['ok']);
  });

  it('rejects bad parameters and unknown jobs with clear errors', async () => {
    const runner = new JobRunner({ store, logger, jobs: [slow] });
    await expect(runner.start('slow', { label: 5 }, 'api')).rejects.toThrow(/label: /);
    await expect(runner.start('nope', {}, 'api')).rejects.toThrow(
      /no job named "nope"; jobs are slow/,
    );
  });

  it('marks runs left running by a dead process as failed', async () => {
    const runner = new JobRunner({ store, logger, jobs: [slow] });
    const { runId, finished } = await runner.start('slow', {}, 'api');
    const other = new JobRunner({ store, logger, jobs: [slow] });
    expect(await other.runs.failInterrupted(Date.now())).toBeGreaterThanOrEqual(1);
    expect(await other.runs.get(runId)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/interrupted/),
    });
    release();
    await finished;
  });
});

describe('JobRunner at a stop', () => {
  it('cancels the statements of a run under way, which ends failed and recorded at once', async () => {
    const statements = cancellable(store, 'rapport:test-run');
    const long = defineJob({
      name: 'long',
      description: 'one statement of minutes',
      params: z.object({}),
      phases: ['count'],
      async run(context) {
        await context.phase('count', () =>
          context.store.query(
            `SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) % 7 = 3
             SETTINGS max_threads = 1`,
          ),
        );
        return {};
      },
    });
    const runner = new JobRunner({
      // On a connection of their own, as in the engine: the cancel comes on another.
      store: onLane(statements, 'jobs'),
      cancel: () => statements.cancel(),
      records: store,
      logger,
      jobs: [long],
    });
    const { runId, finished } = await runner.start('long', {}, 'api');
    await expect
      .poll(async () => {
        const [row] = await store.query<{ n: number }>(
          `SELECT count() AS n FROM system.processes
           WHERE position(query, 'rapport:test-run') > 0 AND position(query, 'processes') = 0`,
        );
        return Number(row?.n);
      })
      .toBe(1);
    const stopping = performance.now();
    await runner.cancelRuns();
    await runner.drain();
    expect(performance.now() - stopping).toBeLessThan(5_000);
    const run = await finished;
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^cancelled by a stop of the process running it \(/);
    expect(await runner.runs.get(runId)).toMatchObject({ status: 'failed' });
    // Nothing more runs on the cancelled statements.
    await expect(statements.query('SELECT 1')).rejects.toThrow(/rapport:test-run was cancelled/);
  });
});

describe('Scheduler', () => {
  it('starts runs on their cron schedule', async () => {
    const runner = new JobRunner({ store, logger, jobs: [quick] });
    const scheduler = new Scheduler(runner, { quick: '* * * * * *' }, logger);
    const runs: RunRecord[] = [];
    runner.on('finished', (run) => runs.push(run));
    scheduler.start();
    expect(scheduler.nextRuns().quick).not.toBeNull();
    await expect.poll(() => runs.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(1);
    await scheduler.stop();
    await runner.drain();
    expect(runs[0]).toMatchObject({ job: 'quick', trigger: 'schedule', status: 'succeeded' });
    const listed = await runner.runs.list({ job: 'quick', limit: 10 });
    expect(listed.length).toBeGreaterThanOrEqual(1);
  });

  /** Each trigger's runs seen starting. */
  function startedRuns(runner: JobRunner): Map<string, Set<string>> {
    const started = new Map<string, Set<string>>();
    runner.on('progress', (run) => {
      started.set(run.trigger, (started.get(run.trigger) ?? new Set<string>()).add(run.runId));
    });
    return started;
  }

  it('runs when a run asked for ends, if its time came during it', async () => {
    const runner = new JobRunner({ store, logger, jobs: [slow] });
    const started = startedRuns(runner);
    const asked = await runner.start('slow', { label: 'asked' }, 'api');
    // Once a minute, next in a second or two: no later time comes within the test.
    const second = (new Date().getUTCSeconds() + 2) % 60;
    const scheduler = new Scheduler(runner, { slow: `${second} * * * * *` }, logger);
    scheduler.start();
    await sleep(3_000);
    expect(started.get('schedule')).toBeUndefined();
    release();
    await asked.finished;
    await expect.poll(() => started.get('schedule')?.size ?? 0, { timeout: 5_000 }).toBe(1);
    await scheduler.stop();
    release();
    await runner.drain();
  });

  it('skips the times that come while its own run is still going', async () => {
    const runner = new JobRunner({ store, logger, jobs: [slow] });
    const started = startedRuns(runner);
    const scheduler = new Scheduler(runner, { slow: '* * * * * *' }, logger);
    scheduler.start();
    await expect.poll(() => started.get('schedule')?.size ?? 0, { timeout: 5_000 }).toBe(1);
    await sleep(2_500);
    await scheduler.stop();
    release();
    await runner.drain();
    expect(started.get('schedule')?.size).toBe(1);
  });

  it('refuses a schedule for a job that does not exist', () => {
    const runner = new JobRunner({ store, logger, jobs: [quick] });
    expect(() => new Scheduler(runner, { nightly: '0 3 * * *' }, logger)).toThrow(
      /no job named "nightly"/,
    );
  });
});
