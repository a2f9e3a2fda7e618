-- Segment entries and exits waiting to be delivered: each change written as a membership
-- interval is appended here, in the order written, and delivered from here to the bus and
-- every webhook. `seq` orders the changes (increasing across restarts); `change_id` is the
-- change's idempotency key, the same on every delivery. A retried append writes the same
-- rows again under the same seq: readers take one row per seq. Kept a week.
CREATE TABLE IF NOT EXISTS segment_outbox
(
    seq UInt64,
    change_id String,
    profile_key String,
    segment_id String,
    recorded_at DateTime64(3, 'UTC'),
    payload String
)
ENGINE = MergeTree
ORDER BY seq
TTL toDateTime(recorded_at) + INTERVAL 7 DAY;

-- How far each outlet (the bus, each webhook) has been delivered: the last seq it took.
CREATE TABLE IF NOT EXISTS segment_outbox_cursors
(
    outlet String,
    seq UInt64,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY outlet;
