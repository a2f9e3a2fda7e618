import type { ProfileField } from '@rapport/profiles';
import type { Store } from '@rapport/store';

export interface MemberRow {
  profile_key: string;
  /** When the open membership interval began (epoch ms); null when none is open. */
  since: number | null;
  /** The values of the fields asked for, in their order (`v0`, `v1`, …; times in epoch ms). */
  [field: `v${number}`]: unknown;
}

/**
 * The profile fields of the members as the run's snapshot holds them: the values the rule was
 * evaluated on. Columns come from the field definitions, never from input.
 */
function snapshotJoin(fields: readonly ProfileField[]): { columns: string; join: string } {
  if (fields.length === 0) return { columns: '', join: '' };
  const values = fields.map((field, i) =>
    field.type === 'time'
      ? `toUnixTimestamp64Milli(${field.column}) AS v${i}`
      : `${field.column} AS v${i}`,
  );
  return {
    columns: fields.map((_, i) => `, f.v${i} AS v${i}`).join(''),
    join: `
     LEFT JOIN
     (
         SELECT profile_key, ${values.join(', ')}
         FROM profile_features
         WHERE run_id = {runId:String} AND profile_key IN (SELECT profile_key FROM page)
     ) AS f ON f.profile_key = p.profile_key`,
  };
}

/**
 * Members of one run's results after `after`, in profile key order, each with the start of
 * its open interval. Both reads follow primary keys: results by (segment, key) inside the
 * run's partition, intervals by profile key.
 */
export function readMembers(
  store: Store,
  input: {
    segmentId: string;
    runId: string;
    after: string;
    limit: number;
    fields?: readonly ProfileField[];
  },
): Promise<MemberRow[]> {
  const { fields = [], ...params } = input;
  const snapshot = snapshotJoin(fields);
  return store.query<MemberRow>(
    `WITH page AS
     (
         SELECT profile_key FROM segment_results
         WHERE run_id = {runId:String} AND segment_id = {segmentId:String}
           AND profile_key > {after:String}
         ORDER BY profile_key
         LIMIT {limit:UInt32}
     )
     SELECT p.profile_key AS profile_key, toUnixTimestamp64Milli(m.since) AS since${snapshot.columns}
     FROM page AS p
     LEFT JOIN
     (
         SELECT profile_key, min(entered_at) AS since
         FROM segment_membership FINAL
         WHERE segment_id = {segmentId:String} AND exited_at IS NULL
           AND profile_key IN (SELECT profile_key FROM page)
         GROUP BY profile_key
     ) AS m ON m.profile_key = p.profile_key${snapshot.join}
     ORDER BY profile_key
     SETTINGS join_use_nulls = 1`,
    params,
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

/** Whether the run's profile snapshot (the values its rules saw) is still stored. */
export async function snapshotExists(store: Store, runId: string): Promise<boolean> {
  const rows = await store.query<{ one: number }>(
    'SELECT 1 AS one FROM profile_features WHERE run_id = {runId:String} LIMIT 1',
    { runId },
  );
  return rows.length > 0;
}
