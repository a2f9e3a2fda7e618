-- One row per state of a job run; the newest state (updated_at) wins when read with FINAL.
CREATE TABLE IF NOT EXISTS job_runs
(
    run_id String,
    job LowCardinality(String),
    params String,
    trigger LowCardinality(String),
    status LowCardinality(String),
    started_at DateTime64(3, 'UTC'),
    finished_at Nullable(DateTime64(3, 'UTC')),
    rows_written UInt64,
    phases String,
    summary String,
    error String,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (job, run_id);
