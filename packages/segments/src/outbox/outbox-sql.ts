/**
 * The SQL of the segment change outbox (migration 0021; cursors: 0014). A page is read one row per
 * seq (a retried append may have written a seq twice); each writer has seqs of its own.
 */
export const MAX_SEQ_SQL = 'SELECT max(seq) AS seq FROM segment_outbox_by_writer';

/**
 * Appends rows: one per element of `{seqs:Array(UInt64)}`, `{ids}`, `{profiles}`, `{segments}`
 * and `{payloads}` (Array(String) each), under `{writer:String}` at `{recordedAt:Int64}`
 * (epoch ms). A statement, so that it can run on a read connection (see SegmentOutbox.append).
 */
export const APPEND_SQL = `
INSERT INTO segment_outbox_by_writer (seq, writer, change_id, profile_key, segment_id, recorded_at, payload)
SELECT r.1, {writer:String}, r.2, r.3, r.4, fromUnixTimestamp64Milli({recordedAt:Int64}, 'UTC'), r.5
FROM (SELECT arrayJoin(arrayZip({seqs:Array(UInt64)}, {ids:Array(String)}, {profiles:Array(String)},
                                {segments:Array(String)}, {payloads:Array(String)})) AS r)`;

/** Parameters: writer. */
export const WRITER_MAX_SEQ_SQL =
  'SELECT max(seq) AS seq FROM segment_outbox_by_writer WHERE writer = {writer:String}';

/** Every writer with seqs after `{after:UInt64}`, and its last seq. */
export const WRITERS_SQL = `
SELECT writer, max(seq) AS last_seq FROM segment_outbox_by_writer WHERE seq > {after:UInt64}
GROUP BY writer`;

/** Parameters: writer, after (UInt64, the last seq taken), limit. */
export const PAGE_SQL = `
SELECT seq, payload FROM segment_outbox_by_writer
WHERE writer = {writer:String} AND seq > {after:UInt64}
ORDER BY seq
LIMIT 1 BY seq
LIMIT {limit:UInt32}`;

/** Parameters: writer, after. */
export const PENDING_SQL = `
SELECT uniqExact(seq) AS n FROM segment_outbox_by_writer
WHERE writer = {writer:String} AND seq > {after:UInt64}`;

/** Parameters: outlet. */
export const CURSOR_SQL = `
SELECT argMax(seq, updated_at) AS seq, count() AS n FROM segment_outbox_cursors
WHERE outlet = {outlet:String}`;

/** Parameters: outlet, seq, at (epoch ms). */
export const ADVANCE_SQL = `
INSERT INTO segment_outbox_cursors (outlet, seq, updated_at)
SELECT {outlet:String}, {seq:UInt64}, fromUnixTimestamp64Milli({at:Int64}, 'UTC')`;

/** The newest recorded change's time (epoch ms), 0 when none. */
export const NEWEST_SQL =
  'SELECT toUnixTimestamp64Milli(max(recorded_at)) AS at, count() AS n FROM segment_outbox_by_writer';

const SINCE = "fromUnixTimestamp64Milli({since:Int64}, 'UTC')";

/**
 * The entries and exits intervals hold since `{since:Int64}` (epoch ms) whose change id
 * (`run:segment:profile`) the outbox has not recorded since then: at start-up, the changes
 * written but never recorded. Compared in the store: after a large run, the intervals and
 * ids of the window are millions of rows, too many to bring into the process.
 */
export const UNRECORDED_CHANGES_SQL = `
SELECT profile_key, segment_id, change, run, version, ms FROM (
    SELECT profile_key, segment_id, 'entered' AS change, entered_run AS run, version,
           toUnixTimestamp64Milli(entered_at) AS ms
    FROM segment_membership FINAL
    WHERE updated_at >= ${SINCE} AND entered_at >= ${SINCE}
    UNION ALL
    SELECT profile_key, segment_id, 'exited', exited_run, ifNull(exited_version, version),
           toUnixTimestamp64Milli(assumeNotNull(exited_at))
    FROM segment_membership FINAL
    WHERE updated_at >= ${SINCE} AND exited_at IS NOT NULL AND exited_at >= ${SINCE}
)
WHERE concat(run, ':', segment_id, ':', profile_key) NOT IN
      (SELECT change_id FROM segment_outbox_by_writer WHERE recorded_at >= ${SINCE})`;
