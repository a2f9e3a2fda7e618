-- The membership intervals made again in granules of 256 rows and compressed blocks of 4–8 KiB;
-- 0008 left the defaults, 8,192 rows and 64 KiB–1 MiB. Streaming evaluation reads the open
-- intervals of the few hundred profiles it evaluates, and its writes read them again for the
-- exits, each profile's read costing a whole granule of every column. Measured on a table of
-- 1.14 million intervals of a million profiles, the open intervals of 500 profiles: 74–77 → 27–29
-- ms of CPU (granules of 1,024 rows: 36–40); a count of every segment's members the same (18–20).
-- The rows are copied into a new table, which then takes the old one's name, as in 0025: a run
-- cut short before the exchange starts again from the copy; one cut short between the exchange
-- and the drop after it leaves the rows whole in the old layout (only the speed is lost). On a
-- cluster, migrate refuses this while intervals were written in the last two minutes (stop the
-- pipeline and jobs services first); the live table keeps the replication path of
-- `segment_membership_0027_local`: no later migration may create a table of that name.
-- backfills: complete
CREATE TABLE IF NOT EXISTS segment_membership_0027
(
    profile_key String,
    segment_id String,
    entered_at DateTime64(3, 'UTC'),
    exited_at Nullable(DateTime64(3, 'UTC')),
    version UInt32,
    exited_version Nullable(UInt32),
    entered_run String,
    exited_run String,
    updated_at DateTime64(3, 'UTC'),
    INDEX by_segment segment_id TYPE bloom_filter GRANULARITY 1
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (profile_key, segment_id, entered_at)
SETTINGS index_granularity = 256, min_compress_block_size = 4096, max_compress_block_size = 8192;

TRUNCATE TABLE segment_membership_0027;

INSERT INTO segment_membership_0027 SELECT * FROM segment_membership;

EXCHANGE TABLES segment_membership AND segment_membership_0027;

DROP TABLE IF EXISTS segment_membership_0027;
