-- The latest value of each trait by event time (ties broken by event id), from identify events.
CREATE TABLE IF NOT EXISTS customer_traits
(
    customer_id String,
    trait String,
    value AggregateFunction(argMax, String, Tuple(DateTime64(3, 'UTC'), String))
)
ENGINE = AggregatingMergeTree
ORDER BY (customer_id, trait)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS customer_traits_from_events TO customer_traits AS
SELECT customer_id, kv.1 AS trait, argMaxState(kv.2, (timestamp, event_id)) AS value
FROM (SELECT customer_id, timestamp, event_id, properties FROM events WHERE type = 'identify')
ARRAY JOIN JSONExtractKeysAndValuesRaw(properties, 'traits') AS kv
GROUP BY customer_id, trait;

-- Every value a trait has had, for look-ups by value (email, phone); a match is confirmed
-- against the customer's current value before it is returned.
CREATE TABLE IF NOT EXISTS trait_index
(
    trait String,
    value String,
    customer_id String
)
ENGINE = ReplacingMergeTree
ORDER BY (trait, value, customer_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS trait_index_from_events TO trait_index AS
SELECT kv.1 AS trait, lowerUTF8(JSONExtract(kv.2, 'String')) AS value, customer_id
FROM (SELECT customer_id, properties FROM events WHERE type = 'identify')
ARRAY JOIN JSONExtractKeysAndValuesRaw(properties, 'traits') AS kv
WHERE JSONType(kv.2) = 'String';
