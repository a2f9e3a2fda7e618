-- backfills: complete
-- Events and amounts per UTC day, type, channel and customer key, in place of report_totals
-- (0017), which named no one: every projection a view feeds must be keyed by customer, so that
-- the projection check can find and rebuild a key a view missed (see projection-check-sql.ts)
-- and an erasure takes the customer's counts with their events.
DROP TABLE IF EXISTS report_totals_from_events;
DROP TABLE IF EXISTS report_totals;

CREATE TABLE IF NOT EXISTS report_types
(
    day Date,
    type LowCardinality(String),
    channel LowCardinality(String),
    customer_key String,
    events SimpleAggregateFunction(sum, UInt64),
    amount SimpleAggregateFunction(sum, Decimal(38, 4))
)
ENGINE = AggregatingMergeTree
ORDER BY (day, type, channel, customer_key)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS report_types_from_events TO report_types AS
SELECT toDate(timestamp) AS day, type, channel, customer_key, count() AS events,
    sum(toDecimal128(amount, 4)) AS amount
FROM events
WHERE type != 'identity_unlink'
GROUP BY day, type, channel, customer_key;

-- The backfill: the view's own query over the events already stored. Emptied first, so a
-- migration interrupted after its view was made gives the same rows when it runs again.
TRUNCATE TABLE report_types;

INSERT INTO report_types
SELECT toDate(timestamp) AS day, type, channel, customer_key, count() AS events,
    sum(toDecimal128(amount, 4)) AS amount
FROM events
WHERE type != 'identity_unlink'
GROUP BY day, type, channel, customer_key;
