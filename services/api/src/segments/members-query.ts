import type { Store } from '@rapport/store';

export interface MemberRow {
  profile_key: string;
  /** When the open membership interval began (epoch ms); null when none is open. */
  since: number | null;
}

/**
 * Members of one run's results after `after`, in profile key order, each with the start of
 * its open interval. Both reads follow primary keys: results by (segment, key) inside the
 * run's partition, intervals by profile key.
 */
export function readMembers(
  store: Store,
  input: { segmentId: string; runId: string; after: string; limit: number },
): Promise<MemberRow[]> {
  return store.query<MemberRow>(
    `WITH page AS
     (
         SELECT profile_key FROM segment_results
         WHERE run_id = {runId:String} AND segment_id = {segmentId:String}
           AND profile_key > {after:String}
         ORDER BY profile_key
         LIMIT {limit:UInt32}
     )
     SELECT p.profile_key AS profile_key, toUnixTimestamp64Milli(m.since) AS since
     FROM page AS p
     LEFT JOIN
     (
         SELECT profile_key, min(entered_at) AS since
         FROM segment_membership FINAL
         WHERE segment_id = {segmentId:String} AND exited_at IS NULL
           AND profile_key IN (SELECT profile_key FROM page)
         GROUP BY profile_key
     ) AS m ON m.profile_key = p.profile_key
     ORDER BY profile_key
     SETTINGS join_use_nulls = 1`,
    input,
  );
}

/** Whether any results of the run for the segment are stored. */
export async function resultsExist(
  store: Store,
  input: { segmentId: string; runId: string },
): Promise<boolean> {
  const rows = await store.query<{ one: number }>(
    `SELECT 1 AS one FROM segment_results
     WHERE run_id = {runId:String} AND segment_id = {segmentId:String} LIMIT 1`,
    input,
  );
  return rows.length > 0;
}
