-- Write-ahead journal of inserts into `events`. An insert is not atomic across the
-- materialized views it feeds: a process killed between the `events` part and a view's part
-- (or a view push that fails) leaves that view short, and a retry finds the rows in `events`
-- and skips them. So each block is written here first, with its deduplication token, and
-- marked done once its insert returned. On start-up every block not marked done is inserted
-- again, byte for byte under the same token with deduplicate_blocks_in_dependent_materialized_views:
-- `events` and every view that already holds the block drop it, the others receive it.
-- A done mark (done = 1, empty body) replaces the block's row when parts merge.
CREATE TABLE IF NOT EXISTS event_journal
(
    token String,
    done UInt8,
    rows UInt32,
    body String CODEC(ZSTD(1)),
    written_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(done)
ORDER BY token
TTL toDateTime(written_at) + INTERVAL 7 DAY;
