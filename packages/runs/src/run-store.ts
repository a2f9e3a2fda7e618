import { isoOf, type RunRecord } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { z } from 'zod';

const epochMs = z.coerce.number();

/** A `job_runs` row as read back (64-bit numbers come as strings from a server). */
const runRowSchema = z.object({
  run_id: z.string(),
  job: z.string(),
  params: z.string(),
  trigger: z.enum(['api', 'cli', 'schedule', 'segment-saved']),
  status: z.enum(['running', 'succeeded', 'failed']),
  started_at: epochMs,
  finished_at: epochMs.nullable(),
  rows_written: z.coerce.number(),
  phases: z.string(),
  summary: z.string(),
  error: z.string(),
});

const COLUMNS = `run_id, job, params, trigger, status,
  toUnixTimestamp64Milli(started_at) AS started_at,
  toUnixTimestamp64Milli(finished_at) AS finished_at,
  rows_written, phases, summary, error`;

const phasesSchema = z.array(z.object({ name: z.string(), seconds: z.number() }));
const objectSchema = z.record(z.string(), z.unknown());

function fromRow(raw: unknown): RunRecord {
  const row = runRowSchema.parse(raw);
  return {
    runId: row.run_id,
    job: row.job,
    params: objectSchema.parse(JSON.parse(row.params)),
    trigger: row.trigger,
    status: row.status,
    startedAt: isoOf(row.started_at),
    finishedAt: row.finished_at === null ? null : isoOf(row.finished_at),
    rowsWritten: row.rows_written,
    phases: phasesSchema.parse(JSON.parse(row.phases)),
    progress: null,
    summary: objectSchema.parse(JSON.parse(row.summary)),
    error: row.error === '' ? null : row.error,
  };
}

/** The latest successful run of a job: the one whose results profiles and reports show. */
export interface LatestRun {
  runId: string;
  /** Epoch ms. */
  finishedAt: number;
}

/**
 * Job runs in `job_runs`: a row per state, the newest wins (read with FINAL). The one place
 * that reads or writes the table.
 */
export class RunStore {
  constructor(private readonly store: Store) {}

  async save(run: RunRecord): Promise<void> {
    const row = {
      run_id: run.runId,
      job: run.job,
      params: JSON.stringify(run.params),
      trigger: run.trigger,
      status: run.status,
      started_at: Date.parse(run.startedAt),
      finished_at: run.finishedAt === null ? null : Date.parse(run.finishedAt),
      rows_written: run.rowsWritten,
      phases: JSON.stringify(run.phases),
      summary: JSON.stringify(run.summary),
      error: run.error ?? '',
      // A run's later state must win even within one millisecond.
      updated_at: Date.now() + (run.status === 'running' ? 0 : 1),
    };
    await this.store.insertJsonLines('job_runs', Buffer.from(JSON.stringify(row)));
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const [row] = await this.store.query(
      `SELECT ${COLUMNS} FROM job_runs FINAL WHERE run_id = {runId:String}`,
      { runId },
    );
    return row === undefined ? undefined : fromRow(row);
  }

  async list(options: { job?: string; limit: number }): Promise<RunRecord[]> {
    const rows = await this.store.query(
      `SELECT ${COLUMNS} FROM job_runs FINAL
       ${options.job === undefined ? '' : 'WHERE job = {job:String}'}
       ORDER BY started_at DESC, run_id DESC LIMIT {limit:UInt32}`,
      { job: options.job, limit: options.limit },
    );
    return rows.map(fromRow);
  }

  /**
   * The latest successful run of `job`: the latest to finish, ties broken by the greater run
   * id. Null when the job never succeeded.
   */
  async latestSucceeded(job: string): Promise<LatestRun | null> {
    const [row] = await this.store.query<{ run_id: string; finished_at: number }>(
      `SELECT run_id, toUnixTimestamp64Milli(finished_at) AS finished_at
       FROM job_runs FINAL
       WHERE job = {job:String} AND status = 'succeeded'
       ORDER BY finished_at DESC, run_id DESC LIMIT 1`,
      { job },
    );
    return row ? { runId: row.run_id, finishedAt: Number(row.finished_at) } : null;
  }

  /** Every run id of a job, in no order (to tell its partitions from other jobs'). */
  async runIds(job: string): Promise<string[]> {
    const rows = await this.store.query<{ run_id: string }>(
      'SELECT DISTINCT run_id FROM job_runs WHERE job = {job:String}',
      { job },
    );
    return rows.map((row) => row.run_id);
  }

  /** Runs left `running` by a process that died: they will never finish. */
  async failInterrupted(now: number): Promise<number> {
    const rows = await this.store.query(
      `SELECT ${COLUMNS} FROM job_runs FINAL WHERE status = 'running'`,
    );
    for (const row of rows) {
      await this.save({
        ...fromRow(row),
        status: 'failed',
        finishedAt: isoOf(now),
        error: 'interrupted: the process running it stopped',
      });
    }
    return rows.length;
  }
}
