import type { Store } from '@rapport/store';
import { RunStore, type LatestRun } from './run-store.js';

/**
 * The latest successful run of each job, whose results profiles and reports show. Kept for a
 * few seconds; a job that finishes in this process refreshes it at once (`invalidate`).
 */
export class LatestRuns {
  private readonly cached = new Map<string, { run: LatestRun | null; at: number }>();
  private readonly runs: RunStore;

  constructor(
    store: Store,
    private readonly ttlMs = 5_000,
  ) {
    this.runs = new RunStore(store);
  }

  async get(job: string): Promise<LatestRun | null> {
    const hit = this.cached.get(job);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.run;
    const run = await this.runs.latestSucceeded(job);
    this.cached.set(job, { run, at: Date.now() });
    return run;
  }

  /** The latest run's id, or '' when the job never succeeded (as SQL parameters take it). */
  async idOf(job: string): Promise<string> {
    return (await this.get(job))?.runId ?? '';
  }

  invalidate(): void {
    this.cached.clear();
  }
}
