-- anonymousId <-> customerId links, kept as events of their own: an identify event with both
-- ids links them (linked = 1), an identity_unlink event undoes the link (linked = 0). For each
-- anonymous id the latest row by event time decides whom it belongs to.
CREATE TABLE IF NOT EXISTS identity_links
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
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS identity_links_from_events TO identity_links AS
SELECT anonymous_id, customer_id, toUInt8(type = 'identify') AS linked, timestamp AS at, event_id
FROM events
WHERE type IN ('identify', 'identity_unlink') AND customer_id != '' AND anonymous_id != '';
