-- backfills: complete
-- Each customer key's first activity and first event, one row per key once merged: the
-- lifecycle report reads a profile's first touch here rather than from every day it was seen.
-- first_event is written as in report_daily (0017): `<ms + 10^13, 14 digits><event_id>\t<channel>\t<source>\t<medium>`,
-- the campaign tags in base64, so min() orders by (timestamp, event_id) like the log.
CREATE TABLE IF NOT EXISTS report_keys
(
    customer_key String,
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    first_event SimpleAggregateFunction(min, String)
)
ENGINE = AggregatingMergeTree
ORDER BY customer_key
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS report_keys_from_events TO report_keys AS
SELECT customer_key, min(timestamp) AS first_seen,
    min(concat(leftPad(toString(toUnixTimestamp64Milli(timestamp) + 10000000000000), 14, '0'),
        event_id, '\t', toString(channel), '\t', base64Encode(tag.1), '\t', base64Encode(tag.2))) AS first_event
FROM (
    SELECT timestamp, event_id, channel, customer_key,
        -- Only contexts that mention a campaign are parsed (if() evaluates lazily).
        if(position(context, 'campaign') > 0,
            (JSONExtractString(context, 'campaign', 'source'),
             JSONExtractString(context, 'campaign', 'medium')),
            ('', '')) AS tag
    FROM events
    WHERE type != 'identity_unlink'
)
GROUP BY customer_key;

-- The backfill, from report_daily (complete since 0017, and a quarter of the events' rows):
-- a key's first event is the least of its days' first events. Emptied first, so a migration
-- interrupted after its view was made gives the same rows when it runs again.
TRUNCATE TABLE report_keys;

INSERT INTO report_keys
SELECT customer_key, min(first_seen) AS first_seen, min(first_event) AS first_event
FROM report_daily
GROUP BY customer_key;
