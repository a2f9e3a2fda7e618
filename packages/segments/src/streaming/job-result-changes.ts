import { profileField } from '@rapport/profiles';
import type { SegmentRule } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { assertNever } from '../assert-never.js';

/** Per job whose results rules read: its table, the profile key and the values rules see. */
const RESULTS = {
  rfm: {
    table: 'rfm_scores',
    key: "concat('c:', customer_id)",
    values: 'tuple(recency_days, frequency, monetary, r, f, m, score, segment)',
    fields: 'r',
  },
  clv: {
    table: 'clv_scores',
    key: "concat('c:', customer_id)",
    values: 'tuple(clv, p_alive, expected_orders, expected_value)',
    fields: 'v',
  },
  clusters: {
    table: 'cluster_assignments',
    key: 'profile_key',
    values: 'cluster',
    fields: 'k',
  },
} as const;

type ResultJob = keyof typeof RESULTS;

export const isResultJob = (job: string): job is ResultJob => job in RESULTS;

/** Whether a rule tests a field of the job's results (rfm.*, clv.*, cluster). */
export function readsResultsOf(rule: SegmentRule, job: ResultJob): boolean {
  switch (rule.type) {
    case 'and':
    case 'or':
      return rule.rules.some((child) => readsResultsOf(child, job));
    case 'not':
      return readsResultsOf(rule.rule, job);
    case 'field':
      return profileField(rule.field)?.jobResult === RESULTS[job].fields;
    case 'event':
    case 'segment':
      return false;
    default:
      return assertNever(rule);
  }
}

/**
 * The profiles whose results of `job` differ between its run `runId` and the successful run
 * before it: a value rules can test changed, or the profile is in one run only.
 */
export async function profilesChangedByRun(
  store: Store,
  input: { job: ResultJob; runId: string },
): Promise<string[]> {
  const { table, key, values } = RESULTS[input.job];
  const [previous] = await store.query<{ run_id: string }>(
    `SELECT run_id FROM job_runs FINAL
     WHERE job = {job:String} AND status = 'succeeded' AND run_id != {runId:String}
     ORDER BY finished_at DESC, run_id DESC LIMIT 1`,
    { job: input.job, runId: input.runId },
  );
  const rows = await store.query<{ key: string }>(
    `SELECT key FROM (
         SELECT ${key} AS key, ${values} AS v FROM ${table}
         WHERE run_id IN {runs:Array(String)})
     GROUP BY key
     HAVING uniqExact(v) > 1 OR count() = 1`,
    { runs: [input.runId, ...(previous ? [previous.run_id] : [])] },
  );
  return rows.map((row) => row.key);
}
