import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger, Metrics } from '@rapport/observability';
import type { Store } from '@rapport/store';
import {
  emptyRunMessage,
  JobFailedError,
  JobParamsError,
  JobRunningError,
  UnknownJobError,
  type JobContext,
  type JobDefinition,
  type RunRecord,
  type RunTrigger,
} from './job.js';
import { RunStore } from '@rapport/runs';
import { isoOf } from '@rapport/schemas';

export interface JobRunnerDeps {
  store: Store;
  /**
   * Cancels the statements of runs under way (`store` made with the store's `cancellable`):
   * what `cancelRuns` calls at a stop.
   */
  cancel?: () => Promise<void>;
  /** Where runs are recorded, when not `store` (one that `cancel` leaves usable). */
  records?: Store;
  logger: Logger;
  jobs: readonly JobDefinition[];
  metrics?: Metrics;
  /** Told of every run that ended, e.g. to drop cached profiles that show job results. */
  onFinished?: (run: RunRecord) => void;
}

export interface StartedRun {
  runId: string;
  /** The live record: its status, progress and phases change as the run goes. */
  run: RunRecord;
  /** Settles with the final record; never rejects (a failed run is a record too). */
  finished: Promise<RunRecord>;
}

/** Parameters that are instants: a job may read them as epoch ms, a run records them as ISO text. */
const INSTANT_PARAMS = new Set(['asOf', 'calibrationEnd']);

/** A run's parameters as recorded and shown: instants in ISO-8601, as every job's `asOf` reads. */
function recordedParams(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(params).map(([name, value]) =>
      INSTANT_PARAMS.has(name) && typeof value === 'number' && Number.isFinite(value)
        ? [name, isoOf(value)]
        : [name, value],
    ),
  );
}

/**
 * Runs registered jobs, one run of a job at a time, recording every run in `job_runs` with
 * its parameters, phase timings, rows written and outcome. Emits `progress` with the live
 * record as phases complete.
 */
export class JobRunner extends EventEmitter<{ progress: [RunRecord]; finished: [RunRecord] }> {
  readonly runs: RunStore;
  private readonly active = new Map<string, RunRecord>();
  private readonly byName: Map<string, JobDefinition>;
  /** A stop cancelled the runs: what fails now fails for that. */
  private cancelled = false;

  constructor(private readonly deps: JobRunnerDeps) {
    super();
    this.runs = new RunStore(deps.records ?? deps.store);
    this.byName = new Map(deps.jobs.map((job) => [job.name, job]));
  }

  get jobs(): JobDefinition[] {
    return [...this.byName.values()];
  }

  job(name: string): JobDefinition {
    const job = this.byName.get(name);
    if (!job) throw new UnknownJobError(name, [...this.byName.keys()]);
    return job;
  }

  /** The live record of a run this runner is running, if it is. */
  running(runId: string): RunRecord | undefined {
    return [...this.active.values()].find((run) => run.runId === runId);
  }

  /** Settles when this runner's run `runId` has ended (at once if it is not running). */
  ended(runId: string): Promise<void> {
    return new Promise((resolve) => {
      const listener = (run: RunRecord) => {
        if (run.runId === runId) done();
      };
      const done = () => {
        this.off('finished', listener);
        resolve();
      };
      this.on('finished', listener);
      if (this.running(runId) === undefined) done();
    });
  }

  /** Starts a run; refuses when the job is running already (JobRunningError names the run). */
  async start(name: string, rawParams: unknown, trigger: RunTrigger): Promise<StartedRun> {
    const job = this.job(name);
    const current = this.active.get(name);
    if (current) throw new JobRunningError(name, current.runId);
    const parsed = job.params.safeParse(rawParams ?? {});
    if (!parsed.success) {
      throw new JobParamsError(
        parsed.error.issues
          .map((issue) => `${issue.path.join('.') || 'params'}: ${issue.message}`)
          .join('; '),
      );
    }
    const run: RunRecord = {
      runId: randomUUID(),
      job: name,
      params: recordedParams(parsed.data),
      trigger,
      status: 'running',
      startedAt: new Date().toISOString(),
      finishedAt: null,
      rowsWritten: 0,
      phases: [],
      progress: { phase: job.phases[0] ?? '', done: 0, total: job.phases.length },
      summary: {},
      error: null,
    };
    this.active.set(name, run);
    try {
      await this.runs.save(run);
    } catch (error) {
      this.active.delete(name);
      throw error;
    }
    return { runId: run.runId, run, finished: this.execute(job, run, parsed.data) };
  }

  private async execute(job: JobDefinition, run: RunRecord, params: Record<string, unknown>) {
    const logger = this.deps.logger.child({ job: job.name, runId: run.runId });
    const context: JobContext = {
      runId: run.runId,
      store: this.deps.store,
      logger,
      phase: async (name, work) => {
        run.progress = { phase: name, done: run.phases.length, total: job.phases.length };
        this.emit('progress', run);
        const started = performance.now();
        const result = await work();
        run.phases.push({ name, seconds: (performance.now() - started) / 1000 });
        run.progress = { phase: name, done: run.phases.length, total: job.phases.length };
        this.emit('progress', run);
        return result;
      },
      wrote: (rows) => {
        run.rowsWritten += rows;
      },
    };
    logger.info({ params }, 'job run started');
    const final: RunRecord = { ...run, progress: null };
    try {
      final.summary = await job.run(context, params);
      final.status = 'succeeded';
      if (job.scored?.(final.summary) === 0 && params.allowEmpty !== true) {
        // Recorded as failed, so the latest successful run (and the results shown) stays.
        final.status = 'failed';
        final.error = emptyRunMessage(job.name, params);
        logger.warn({ error: final.error }, 'job run scored no one');
      }
    } catch (error) {
      final.status = 'failed';
      final.error = error instanceof Error ? error.message : String(error);
      if (error instanceof JobFailedError) final.summary = error.summary;
      if (this.cancelled) {
        final.error = `cancelled by a stop of the process running it (${final.error})`;
        logger.warn({ err: error }, 'job run cancelled by a stop');
      } else {
        logger.error({ err: error }, 'job run failed');
      }
    }
    final.phases = run.phases;
    final.rowsWritten = run.rowsWritten;
    final.finishedAt = new Date().toISOString();
    try {
      await this.runs.save(final);
    } catch (error) {
      logger.error({ err: error }, 'could not record the end of the run');
    }
    // Readers of job results are told before anyone can see the run as ended, so that nobody
    // who saw it end reads results from before it.
    this.deps.onFinished?.(final);
    Object.assign(run, final);
    this.active.delete(job.name);
    logger.info({ status: run.status, phases: run.phases, rows: run.rowsWritten }, 'job run ended');
    this.emit('finished', run);
    return run;
  }

  /**
   * At a stop: cancels the statements of the runs under way (with `cancel`; without, nothing),
   * so that they end failed now rather than outlast the stop's grace. `drain` then waits for
   * them to be recorded.
   */
  async cancelRuns(): Promise<void> {
    if (this.deps.cancel === undefined) return;
    this.cancelled = true;
    await this.deps.cancel();
  }

  /** Waits for every run under way. */
  async drain(): Promise<void> {
    while (this.active.size > 0) {
      await new Promise<void>((resolve) => this.once('finished', () => resolve()));
    }
  }
}
