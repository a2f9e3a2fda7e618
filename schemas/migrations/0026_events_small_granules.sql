-- The event log made again in granules of 1,024 rows and compressed blocks of 4–8 KiB (context
-- and properties, the bulk of its bytes, keep 64 KiB–1 MiB): streaming segment evaluation
-- counts the events of a few hundred customers at a time, and with 0001's defaults (8,192 rows,
-- 64 KiB–1 MiB) each customer read cost a whole granule and compressed block of every column it
-- reads. Measured on copies of the same 40 M rows at a million people, the event counts of one
-- evaluation of 500 profiles: 443–657 → 164–188 ms of CPU; a full scan of the columns the batch
-- job counts 3.0–3.1 → 2.7–3.4 s of CPU, a scan of properties 1.65–1.74 → 1.55–1.59 s; on disk
-- 1.53 → 1.61 GiB; the copy took 85 s there.
-- Like 0025, the rows are copied into a new table that then takes the old one's name; the views
-- read `events` by name and follow. The copy starts with an empty deduplication window, so
-- every block the journal holds unfinished is inserted again before the first migration that
-- exchanges a table (the migration runner does this), while every table still knows its
-- tokens. Nothing may write during the copy: in embedded mode migrations run before ingest
-- starts; on a cluster the runner refuses while the journal shows writes in the last two
-- minutes (stop the pipeline services first). A run cut short before the exchange starts again
-- from the copy; one cut between the exchange and the drop keeps every row in the old layout.
-- On a cluster the live table keeps the replication path of `events_0026_local`: no later
-- migration may create a table of that name.
-- backfills: complete
CREATE TABLE IF NOT EXISTS events_0026
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
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024,
    min_compress_block_size = 4096, max_compress_block_size = 8192;

TRUNCATE TABLE events_0026;

INSERT INTO events_0026 SELECT * FROM events;

EXCHANGE TABLES events AND events_0026;

DROP TABLE IF EXISTS events_0026;
