-- One current row per profile, addressable by its key: every profile field as the profile read
-- shows it (its activity merged over its keys, its traits, its anonymous ids and the results of
-- the job runs it names), computed with the same SQL as the segments snapshot and kept as one
-- JSON payload, so that reading a profile is a primary-key lookup of one column instead of an
-- aggregation (small granules: a lookup decompresses 256 rows, not 8,192). The lifecycle stage
-- depends on the time of the read and is computed then from the columns beside the payload.
-- Rows are a cache in the store: a read checks the row against the profile's current
-- aggregates and link history (the payload records both) and reads the projections instead when
-- they differ, so a row that is missing, behind or left over from a crash is never served.
-- A profile whose keys hold nothing any more gets a deleted row. The newest version wins.
CREATE TABLE IF NOT EXISTS profile_rows
(
    profile_key String,
    customer_id String,
    events UInt64,
    orders UInt64,
    last_seen DateTime64(3, 'UTC'),
    payload String CODEC(ZSTD(1)),
    version UInt64,
    deleted UInt8
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY profile_key
SETTINGS index_granularity = 256;
