-- backfills: complete
-- The segment change outbox again, ordered by (writer, seq) in granules of 128 rows: an
-- outlet reads a page of one writer's changes after its cursor, and in 0014's table (ordered
-- by seq alone, 8,192-row granules) every such read decompressed the payloads of a whole
-- granule, 27 ms each under load. A table's granularity cannot be altered: the rows are copied
-- (a copy run twice writes some seqs twice, which readers already take once) and the old table
-- dropped. Columns, meaning and retention are those of 0014 and 0015.
CREATE TABLE IF NOT EXISTS segment_outbox_by_writer
(
    seq UInt64,
    writer String DEFAULT '',
    change_id String,
    profile_key String,
    segment_id String,
    recorded_at DateTime64(3, 'UTC'),
    payload String
)
ENGINE = MergeTree
ORDER BY (writer, seq)
TTL toDateTime(recorded_at) + INTERVAL 7 DAY
SETTINGS index_granularity = 128;

INSERT INTO segment_outbox_by_writer (seq, writer, change_id, profile_key, segment_id, recorded_at, payload)
SELECT seq, writer, change_id, profile_key, segment_id, recorded_at, payload FROM segment_outbox;

DROP TABLE IF EXISTS segment_outbox;
