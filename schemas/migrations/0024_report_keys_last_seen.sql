-- Each customer key's last activity beside its first in report_keys (0018): the lifecycle
-- report tells from it whether a key was active in the period and in the lapse before its end,
-- rather than from every day of the period in report_daily. The view is made again with the
-- column, and the table filled again from report_daily (complete since 0017, and a quarter of
-- the events' rows), emptied first so that a migration interrupted after its view was made
-- gives the same rows when it runs again.
-- backfills: complete
ALTER TABLE report_keys ADD COLUMN IF NOT EXISTS last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')) AFTER first_seen;

DROP TABLE IF EXISTS report_keys_from_events;

CREATE MATERIALIZED VIEW IF NOT EXISTS report_keys_from_events TO report_keys AS
SELECT customer_key, min(timestamp) AS first_seen, max(timestamp) AS last_seen,
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

TRUNCATE TABLE report_keys;

INSERT INTO report_keys
SELECT customer_key, min(first_seen) AS first_seen, max(last_seen) AS last_seen,
    min(first_event) AS first_event
FROM report_daily
GROUP BY customer_key;
