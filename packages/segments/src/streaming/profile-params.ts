import { lapsedMs } from '@rapport/profiles';
import type { Store } from '@rapport/store';
import type { ProfileRowParams } from './evaluate-profiles.js';

/**
 * The latest successful run of each job whose results profiles show, in one read (the run
 * store's latestSucceeded, three times, was three reads per evaluation): the newest by
 * finish time, then by run id.
 */
const LATEST_RESULT_RUNS_SQL = `
SELECT job, argMax(run_id, (finished_at, run_id)) AS run_id FROM job_runs FINAL
WHERE job IN ('rfm', 'clv', 'clusters') AND status = 'succeeded'
GROUP BY job`;

/** The profile rows' parameters now: the lapse threshold and the latest job runs. */
export async function currentProfileParams(
  store: Store,
  lapsedAfterDays: number,
): Promise<ProfileRowParams> {
  const rows = await store.query<{ job: string; run_id: string }>(LATEST_RESULT_RUNS_SQL);
  const latest = new Map(rows.map((row) => [row.job, row.run_id]));
  return {
    lapsedMs: lapsedMs(lapsedAfterDays),
    rfmRun: latest.get('rfm') ?? '',
    clvRun: latest.get('clv') ?? '',
    clustersRun: latest.get('clusters') ?? '',
  };
}
