/**
 * The SQL of one segment's evaluation in a segments run. Parameters: runId, segmentId,
 * version, at (epoch ms: the run's evaluation time). The run compares the members its rule
 * finds with the open membership intervals (kept current by streaming evaluation, or by the
 * previous runs): a profile in only one of them is a disagreement, checked again and corrected
 * by the reconcile step.
 */
const AT = "fromUnixTimestamp64Milli({at:Int64}, 'UTC')";

const RESULTS = `SELECT profile_key FROM segment_results
   WHERE run_id = {runId:String} AND segment_id = {segmentId:String}`;

const OPEN = `SELECT profile_key FROM segment_membership FINAL
   WHERE segment_id = {segmentId:String} AND exited_at IS NULL`;

/** Stores the members the rule finds (`matching` selects profile_key from this run's features). */
export function insertResultsSql(matching: string): string {
  return `INSERT INTO segment_results (run_id, segment_id, version, profile_key)
SELECT {runId:String}, {segmentId:String}, {version:UInt32}, profile_key FROM (${matching})`;
}

export const MEMBERS_SQL = `SELECT count() AS members FROM (${RESULTS})`;

/**
 * Profiles the run finds in the segment without an open interval (`missing`), and with an
 * open interval the run does not find (`extra`).
 */
export const DISAGREEMENTS_SQL = `
SELECT profile_key, 'missing' AS side FROM (${RESULTS}) WHERE profile_key NOT IN (${OPEN})
UNION ALL
SELECT DISTINCT profile_key, 'extra' AS side FROM (${OPEN}) WHERE profile_key NOT IN (${RESULTS})`;

export const INSERT_EVALUATION_SQL = `
INSERT INTO segment_evaluations (segment_id, run_id, version, evaluated_at, members, entered, exited, seconds)
SELECT {segmentId:String}, {runId:String}, {version:UInt32}, ${AT},
       {members:UInt64}, {entered:UInt64}, {exited:UInt64}, {seconds:Float64}`;
