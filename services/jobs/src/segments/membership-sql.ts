/**
 * The SQL of one segment's evaluation in a segments run. Parameters: runId, segmentId,
 * version, at (epoch ms: the run's evaluation time) and previousRun (the run of the segment's
 * latest evaluation, '' for none). A profile entered when it is in this run's results and was
 * not in the previous ones; it exited in the opposite case.
 */

const AT = "fromUnixTimestamp64Milli({at:Int64}, 'UTC')";

const results = (run: 'runId' | 'previousRun') =>
  `SELECT profile_key FROM segment_results
   WHERE run_id = {${run}:String} AND segment_id = {segmentId:String}`;

/** Profiles in this run's results but not in the previous ones. */
const ENTERED_WHERE = `run_id = {runId:String} AND segment_id = {segmentId:String}
  AND profile_key NOT IN (${results('previousRun')})`;

/** Profiles in the previous results but not in this run's. */
const EXITED_WHERE = `run_id = {previousRun:String} AND segment_id = {segmentId:String}
  AND profile_key NOT IN (${results('runId')})`;

/** Stores the members the rule finds (`matching` selects profile_key from this run's features). */
export function insertResultsSql(matching: string): string {
  return `INSERT INTO segment_results (run_id, segment_id, version, profile_key)
SELECT {runId:String}, {segmentId:String}, {version:UInt32}, profile_key FROM (${matching})`;
}

export const COUNTS_SQL = `
SELECT
    (SELECT count() FROM segment_results WHERE run_id = {runId:String} AND segment_id = {segmentId:String}) AS members,
    (SELECT count() FROM segment_results WHERE ${ENTERED_WHERE}) AS entered,
    (SELECT count() FROM segment_results WHERE ${EXITED_WHERE}) AS exited`;

/**
 * Opens an interval for every profile that entered, unless it has one open already: a run that
 * stopped after writing its intervals but before recording its evaluation leaves the next run
 * comparing with older results, and it must not open the same stays twice.
 */
export const INSERT_ENTRIES_SQL = `
INSERT INTO segment_membership
    (profile_key, segment_id, entered_at, exited_at, version, exited_version, entered_run, exited_run, updated_at)
SELECT profile_key, {segmentId:String}, ${AT}, NULL, {version:UInt32}, NULL, {runId:String}, '', ${AT}
FROM segment_results
WHERE ${ENTERED_WHERE}
  AND profile_key NOT IN (
      SELECT profile_key FROM segment_membership FINAL
      WHERE segment_id = {segmentId:String} AND exited_at IS NULL
        AND profile_key IN (SELECT profile_key FROM segment_results WHERE ${ENTERED_WHERE}))`;

/** Closes the open interval of every profile that exited (a newer row of the same interval). */
export const INSERT_EXITS_SQL = `
INSERT INTO segment_membership
    (profile_key, segment_id, entered_at, exited_at, version, exited_version, entered_run, exited_run, updated_at)
SELECT profile_key, segment_id, entered_at, ${AT}, version, {version:UInt32}, entered_run, {runId:String}, ${AT}
FROM segment_membership FINAL
WHERE segment_id = {segmentId:String} AND exited_at IS NULL
  AND profile_key IN (SELECT profile_key FROM segment_results WHERE ${EXITED_WHERE})`;

/** One page of changes, in profile key order after `after`. */
export function changesPageSql(change: 'entered' | 'exited'): string {
  return `SELECT profile_key FROM segment_results
WHERE ${change === 'entered' ? ENTERED_WHERE : EXITED_WHERE} AND profile_key > {after:String}
ORDER BY profile_key LIMIT {limit:UInt32}`;
}

export const INSERT_EVALUATION_SQL = `
INSERT INTO segment_evaluations (segment_id, run_id, version, evaluated_at, members, entered, exited, seconds)
SELECT {segmentId:String}, {runId:String}, {version:UInt32}, ${AT},
       {members:UInt64}, {entered:UInt64}, {exited:UInt64}, {seconds:Float64}`;
