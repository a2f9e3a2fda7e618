-- backfills: complete
-- A customer key's days of activity per UTC month and channel, as bits (bit n - 1 for day n
-- of the month): the overview's active profiles and the lifecycle's activity in the lapse
-- before each bound read a year as at most 12 rows per key and channel rather than one per day,
-- and in key order (the table's order) rather than through a hash table of a million keys.
-- Any event but an unlink counts, as in report_daily. groupBitOr gives the same bits however
-- often a row is counted, so streaming, replay and this backfill agree.
CREATE TABLE IF NOT EXISTS report_months
(
    customer_key String,
    month Date,
    channel LowCardinality(String),
    days SimpleAggregateFunction(groupBitOr, UInt32)
)
ENGINE = AggregatingMergeTree
ORDER BY (customer_key, month, channel)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS report_months_from_events TO report_months AS
SELECT customer_key, toStartOfMonth(timestamp) AS month, channel,
    groupBitOr(bitShiftLeft(toUInt32(1), toDayOfMonth(timestamp) - 1)) AS days
FROM events
WHERE type != 'identity_unlink'
GROUP BY customer_key, month, channel;

-- The backfill, from report_daily (complete since 0017, a quarter of the events' rows): the
-- same days by key, month and channel. Emptied first, so a migration interrupted after its
-- view was made gives the same rows when it runs again.
TRUNCATE TABLE report_months;

INSERT INTO report_months
SELECT customer_key, toStartOfMonth(day) AS month, channel,
    groupBitOr(bitShiftLeft(toUInt32(1), toDayOfMonth(day) - 1)) AS days
FROM report_daily
GROUP BY customer_key, month, channel;
