-- The tables profiles are read from a few keys at a time (streaming segment evaluation, row
-- rewrites, a lookup whose row is behind) made again in granules of 128 rows and compressed
-- blocks of 4–8 KiB; 0002–0004 left the defaults, 8,192 rows and 64 KiB–1 MiB, and each key read
-- cost a whole granule and compressed block of every column it reads, maps and aggregate states
-- included. Measured on copies of the same rows at a million people, the keys of one streaming
-- evaluation of 500 profiles: customer_stats' aggregates of 637 keys 300–320 → 98–107 ms of CPU,
-- the traits of 119 customers 99–101 → 14–17 ms, the owners of 518 anonymous ids 40–43 → 22–26 ms,
-- the anonymous ids of 119 customers (by_customer) 25–27 → 11 ms; the tables' sizes on disk the same.
-- Each table's rows are copied into a new table, which then takes the old one's name; the views
-- feed their tables by name and follow. A run cut short before an exchange starts again from the
-- copy; one cut short between an exchange and the drop after it leaves that table's rows whole in
-- the old layout (only the speed is lost). Rows a writer adds during a copy (none in embedded
-- mode, where migrations run before ingest starts) are restored by the projection check; so are
-- the rows of a block a crash left unfinished before the upgrade, which the start after it inserts
-- again into tables whose deduplication windows begin empty: the check at start-up compares the
-- profiles of every block inserted again. On a
-- cluster each live table keeps the replication path of its `<table>_0025_local`: no later
-- migration may create a table of that name.
-- backfills: complete
CREATE TABLE IF NOT EXISTS customer_stats_0025
(
    customer_key String,
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    last_received SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    event_count SimpleAggregateFunction(sum, UInt64),
    events_by_type SimpleAggregateFunction(sumMap, Map(String, UInt64)),
    events_by_channel SimpleAggregateFunction(sumMap, Map(String, UInt64)),
    visit_days AggregateFunction(uniqExact, Date),
    orders SimpleAggregateFunction(sum, UInt64),
    revenue SimpleAggregateFunction(sum, Decimal(38, 4)),
    refunds SimpleAggregateFunction(sum, UInt64),
    refunded SimpleAggregateFunction(sum, Decimal(38, 4)),
    last_order AggregateFunction(argMax, Tuple(String, Decimal(18, 4)), Tuple(DateTime64(3, 'UTC'), String)),
    last_order_at SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    email_actions SimpleAggregateFunction(sumMap, Map(String, UInt64)),
    categories SimpleAggregateFunction(sumMap, Tuple(Array(String), Array(UInt64)))
)
ENGINE = AggregatingMergeTree
ORDER BY customer_key
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 128,
    min_compress_block_size = 4096, max_compress_block_size = 8192;

TRUNCATE TABLE customer_stats_0025;

INSERT INTO customer_stats_0025 SELECT * FROM customer_stats;

EXCHANGE TABLES customer_stats AND customer_stats_0025;

DROP TABLE IF EXISTS customer_stats_0025;

CREATE TABLE IF NOT EXISTS customer_traits_0025
(
    customer_id String,
    trait String,
    value AggregateFunction(argMax, String, Tuple(DateTime64(3, 'UTC'), String))
)
ENGINE = AggregatingMergeTree
ORDER BY (customer_id, trait)
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 128,
    min_compress_block_size = 4096, max_compress_block_size = 8192;

TRUNCATE TABLE customer_traits_0025;

INSERT INTO customer_traits_0025 SELECT * FROM customer_traits;

EXCHANGE TABLES customer_traits AND customer_traits_0025;

DROP TABLE IF EXISTS customer_traits_0025;

CREATE TABLE IF NOT EXISTS identity_links_0025
(
    anonymous_id String,
    customer_id String,
    linked UInt8,
    at DateTime64(3, 'UTC'),
    event_id String,
    PROJECTION by_customer (SELECT * ORDER BY customer_id, anonymous_id)
)
ENGINE = MergeTree
ORDER BY (anonymous_id, at, event_id)
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 128,
    min_compress_block_size = 4096, max_compress_block_size = 8192;

TRUNCATE TABLE identity_links_0025;

INSERT INTO identity_links_0025 SELECT * FROM identity_links;

EXCHANGE TABLES identity_links AND identity_links_0025;

DROP TABLE IF EXISTS identity_links_0025;
