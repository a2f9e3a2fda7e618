-- anonymousId <-> customerId links, recorded as events of their own (linked = 1 links,
-- linked = 0 undoes a link); the latest row per pair by event time wins.
CREATE TABLE IF NOT EXISTS identity_links
(
    customer_id String,
    anonymous_id String,
    linked UInt8,
    at DateTime64(3, 'UTC'),
    event_id String
)
ENGINE = MergeTree
ORDER BY (customer_id, anonymous_id, at)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS identity_links_from_events TO identity_links AS
SELECT customer_id, anonymous_id, 1 AS linked, timestamp AS at, event_id
FROM events
WHERE type = 'identify' AND customer_id != '' AND anonymous_id != '';
