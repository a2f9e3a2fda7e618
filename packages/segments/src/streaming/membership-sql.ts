/**
 * The SQL of streaming evaluation's reads and writes of membership intervals, for the profiles
 * `{keys:Array(String)}` names. Parameters: segmentId, version, runId and at (epoch ms: when
 * the evaluation ran). The interval rows are those the segments job writes: an entry opens a
 * row with exited_at NULL, an exit writes the same interval again with exited_at set and a
 * newer updated_at (the table is read with FINAL).
 */
const AT = "fromUnixTimestamp64Milli({at:Int64}, 'UTC')";

const COLUMNS =
  'profile_key, segment_id, entered_at, exited_at, version, exited_version, entered_run, exited_run, updated_at';

/** Which of the profiles have an open interval in the segment. */
export const OPEN_MEMBERS_SQL = `
SELECT DISTINCT profile_key FROM segment_membership FINAL
WHERE segment_id = {segmentId:String} AND exited_at IS NULL AND profile_key IN {keys:Array(String)}`;

/** Opens an interval for each profile named (the caller knows none of them has one open). */
export const OPEN_INTERVALS_SQL = `
INSERT INTO segment_membership (${COLUMNS})
SELECT arrayJoin({keys:Array(String)}), {segmentId:String}, ${AT}, NULL, {version:UInt32}, NULL,
       {runId:String}, '', ${AT}`;

/** Closes the open intervals of the profiles named. */
export const CLOSE_INTERVALS_SQL = `
INSERT INTO segment_membership (${COLUMNS})
SELECT profile_key, segment_id, entered_at, ${AT}, version, {version:UInt32}, entered_run,
       {runId:String}, ${AT}
FROM segment_membership FINAL
WHERE segment_id = {segmentId:String} AND exited_at IS NULL AND profile_key IN {keys:Array(String)}`;

/**
 * The open intervals of every segment among the profiles named (one read: the table is
 * ordered by profile key).
 */
export const OPEN_MEMBERSHIPS_SQL = `
SELECT DISTINCT segment_id, profile_key FROM segment_membership FINAL
WHERE profile_key IN {keys:Array(String)} AND exited_at IS NULL`;

/**
 * An evaluation's entries and exits in one insert: closes the open intervals of the (segment,
 * profile) pairs `{exitSegments:Array(String)}` and `{exitProfiles:Array(String)}` name, and
 * opens one for each pair of `{entrySegments:Array(String)}` and `{entryProfiles:Array(String)}`,
 * under each segment's version in `{versions:Map(String, UInt32)}`. A profile never enters and
 * exits a segment in one evaluation, so the two sides touch different intervals.
 */
export const CHANGE_PAIRS_SQL = `
INSERT INTO segment_membership (${COLUMNS})
SELECT profile_key, segment_id, entered_at, toNullable(${AT}), version,
       toNullable({versions:Map(String, UInt32)}[segment_id]), entered_run, {runId:String}, ${AT}
FROM segment_membership FINAL
WHERE profile_key IN {exitProfiles:Array(String)} AND exited_at IS NULL
  AND (segment_id, profile_key) IN
      (SELECT arrayJoin(arrayZip({exitSegments:Array(String)}, {exitProfiles:Array(String)})))
UNION ALL
SELECT pair.2, pair.1, ${AT}, NULL, {versions:Map(String, UInt32)}[pair.1], NULL,
       {runId:String}, '', ${AT}
FROM (SELECT arrayJoin(arrayZip({entrySegments:Array(String)}, {entryProfiles:Array(String)})) AS pair)`;
