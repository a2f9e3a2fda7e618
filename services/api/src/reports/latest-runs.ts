import type { Store } from '@rapport/store';

interface LatestRun {
  runId: string;
  finishedAt: number;
}

/**
 * The latest successful run of each job, whose results profiles and reports show. Kept for a
 * few seconds; a job that finishes in this process refreshes it at once.
 */
export class LatestRuns {
  private readonly cached = new Map<string, { run: LatestRun | null; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 5_000,
  ) {}

  async get(job: string): Promise<LatestRun | null> {
    const hit = this.cached.get(job);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.run;
    const [row] = await this.store.query<{ run_id: string; finished_at: number }>(
      `SELECT run_id, toUnixTimestamp64Milli(finished_at) AS finished_at
       FROM job_runs FINAL
       WHERE job = {job:String} AND status = 'succeeded'
       ORDER BY finished_at DESC, run_id DESC LIMIT 1`,
      { job },
    );
    const run = row ? { runId: row.run_id, finishedAt: Number(row.finished_at) } : null;
    this.cached.set(job, { run, at: Date.now() });
    return run;
  }

  invalidate(): void {
    this.cached.clear();
  }
}
