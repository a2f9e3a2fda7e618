import type { Store } from '@rapport/store';
import type { RunRecord, RunStatus, RunTrigger } from './job.js';

interface RunRow {
  run_id: string;
  job: string;
  params: string;
  trigger: RunTrigger;
  status: RunStatus;
  started_at: number;
  finished_at: number | null;
  rows_written: number;
  phases: string;
  summary: string;
  error: string;
}

const COLUMNS = `run_id, job, params, trigger, status,
  toUnixTimestamp64Milli(started_at) AS started_at,
  toUnixTimestamp64Milli(finished_at) AS finished_at,
  rows_written, phases, summary, error`;

function fromRow(row: RunRow): RunRecord {
  return {
    runId: row.run_id,
    job: row.job,
    params: JSON.parse(row.params) as Record<string, unknown>,
    trigger: row.trigger,
    status: row.status,
    startedAt: new Date(Number(row.started_at)).toISOString(),
    finishedAt: row.finished_at === null ? null : new Date(Number(row.finished_at)).toISOString(),
    rowsWritten: Number(row.rows_written),
    phases: JSON.parse(row.phases) as RunRecord['phases'],
    progress: null,
    summary: JSON.parse(row.summary) as Record<string, unknown>,
    error: row.error === '' ? null : row.error,
  };
}

/** Job runs in `job_runs`: a row per state, the newest wins. */
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
    const [row] = await this.store.query<RunRow>(
      `SELECT ${COLUMNS} FROM job_runs FINAL WHERE run_id = {runId:String}`,
      { runId },
    );
    return row ? fromRow(row) : undefined;
  }

  async list(options: { job?: string; limit: number }): Promise<RunRecord[]> {
    const rows = await this.store.query<RunRow>(
      `SELECT ${COLUMNS} FROM job_runs FINAL
       ${options.job === undefined ? '' : 'WHERE job = {job:String}'}
       ORDER BY started_at DESC, run_id DESC LIMIT {limit:UInt32}`,
      { job: options.job, limit: options.limit },
    );
    return rows.map(fromRow);
  }

  /** Runs left `running` by a process that died: they will never finish. */
  async failInterrupted(now: number): Promise<number> {
    const rows = await this.store.query<RunRow>(
      `SELECT ${COLUMNS} FROM job_runs FINAL WHERE status = 'running'`,
    );
    for (const row of rows) {
      await this.save({
        ...fromRow(row),
        status: 'failed',
        finishedAt: formatIso(now),
        error: 'interrupted: the process running it stopped',
      });
    }
    return rows.length;
  }
}

const formatIso = (ms: number) => new Date(ms).toISOString();
