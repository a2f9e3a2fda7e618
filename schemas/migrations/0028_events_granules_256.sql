-- The event log made again in granules of 256 rows (0026 made them 1,024), the compressed blocks
-- as 0026 left them: streaming evaluation counts the events of the few hundred customers a batch
-- touched, and each customer's read costs a whole granule of every column it reads in each part
-- holding that customer. Measured on copies of the same 40 M rows at a million people, the
-- event counts of one evaluation of 500 profiles (1,013 customer keys), medians of two rounds
-- of eight runs after a warm-up: the table as it was (17 parts) 116 / 110 ms of CPU (every run
-- 95–161), copied into two parts 106 / 110 (89–132), in granules of 256 rows 77 / 74 (66–109),
-- of 128 rows 77 (66–79), no better; the whole statement 300 → 264 (289–302 → 257–454) against
-- the table as it was. A count over every event, as the segments job makes: 2.08–2.37 →
-- 2.19–2.32 s of CPU.
-- On disk 1.74 → 1.78 GB; the copy took 70 s there.
-- As in 0026, the rows are copied into a new table that then takes the old one's name; the views
-- read `events` by name and follow. Every block the journal holds unfinished is inserted again
-- before the copy (the migration runner does this). Nothing may write during the copy: in
-- embedded mode migrations run before ingest starts; on a cluster the runner refuses while the
-- journal shows writes in the last two minutes (stop the pipeline services first). A run cut
-- short before the exchange starts again from the copy; one cut between the exchange and the
-- drop keeps every row in the old layout. On a cluster the live table keeps the replication
-- path of `events_0028_local`: no later migration may create a table of that name.
-- backfills: complete
CREATE TABLE IF NOT EXISTS events_0028
(
    event_id String,
    type LowCardinality(String),
    customer_key String,
    customer_id String,
    anonymous_id String,
    timestamp DateTime64(3, 'UTC'),
    original_timestamp DateTime64(3, 'UTC'),
    sent_at Nullable(DateTime64(3, 'UTC')),
    received_at DateTime64(3, 'UTC'),
    channel LowCardinality(String),
    order_id String,
    amount Decimal(18, 4),
    currency LowCardinality(String),
    amount_original Decimal(18, 4),
    context String SETTINGS (min_compress_block_size = 65536, max_compress_block_size = 1048576),
    properties String SETTINGS (min_compress_block_size = 65536, max_compress_block_size = 1048576),
    PROJECTION by_event_id (SELECT event_id ORDER BY event_id)
)
ENGINE = MergeTree
PARTITION BY toYear(timestamp)
ORDER BY (customer_key, timestamp, event_id)
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256,
    min_compress_block_size = 4096, max_compress_block_size = 8192;

TRUNCATE TABLE events_0028;

INSERT INTO events_0028 SELECT * FROM events;

EXCHANGE TABLES events AND events_0028;

DROP TABLE IF EXISTS events_0028;
