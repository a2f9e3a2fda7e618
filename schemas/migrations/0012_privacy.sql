-- Erasure requests, one row per state (pending, running, done, failed); the newest row of an
-- erasure (updated_at) is its state. `subject` holds the customer id only while the erasure
-- is not done, so that it can be resumed after a crash; once done, the rows that hold it are
-- deleted and the done row keeps only the receipt (tables touched, rows removed, seconds).
CREATE TABLE IF NOT EXISTS erasures
(
    erasure_id String,
    status LowCardinality(String),
    subject String,
    requested_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC'),
    receipt String,
    error String
)
ENGINE = MergeTree
ORDER BY (erasure_id, updated_at);

-- The suppression list: SHA-256 (hex) of the profile keys of erased customers (`c:<id>`,
-- `a:<anonymousId>`), never the ids themselves. Events for a listed key are dropped by the
-- pipeline, so late, retried or replayed events cannot bring an erased customer back.
CREATE TABLE IF NOT EXISTS suppressed_keys
(
    key_hash String,
    erasure_id String,
    at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY key_hash;

-- Admin actions: who (the API key's name, never the key), what, on what, when, request id.
CREATE TABLE IF NOT EXISTS audit_log
(
    at DateTime64(3, 'UTC'),
    request_id String,
    key_name String,
    action LowCardinality(String),
    target String,
    status UInt16
)
ENGINE = MergeTree
ORDER BY at;
