-- A features snapshot keeps each profile's fingerprint: a sum over the customer keys its rows
-- merge of each key's hash times its event count, and the version of the row SQL. Events are
-- only ever added (an erasure removes every key of a customer), so a profile whose fingerprint
-- is the same as in the previous snapshot has the same keys and events, and its row there
-- holds: the next snapshot copies it and computes only the profiles whose fingerprint moved.
-- `profile_fingerprints` holds the fingerprints read as a snapshot begins, until it is written.
-- backfills: complete (snapshots are a run's working data: rows without a fingerprint are
-- never copied, so there is nothing to fill)
ALTER TABLE profile_features ADD COLUMN IF NOT EXISTS fingerprint UInt64 DEFAULT 0;

CREATE TABLE IF NOT EXISTS profile_fingerprints
(
    run_id String,
    profile_key String,
    fingerprint UInt64
)
ENGINE = MergeTree
PARTITION BY run_id
ORDER BY profile_key;
