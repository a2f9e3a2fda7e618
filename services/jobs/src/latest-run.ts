import type { Store } from '@rapport/store';

/** The id of the latest successful run of `job`, or '' when there is none. */
export async function latestSucceededRun(store: Store, job: string): Promise<string> {
  const [row] = await store.query<{ run_id: string }>(
    `SELECT run_id FROM job_runs FINAL
     WHERE job = {job:String} AND status = 'succeeded'
     ORDER BY finished_at DESC, run_id DESC LIMIT 1`,
    { job },
  );
  return row?.run_id ?? '';
}
