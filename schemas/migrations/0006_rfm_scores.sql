-- RFM scores, kept per run: recency (days since the last order), frequency (orders) and
-- monetary (net revenue after refunds, reporting currency) with their 1-5 scores.
CREATE TABLE IF NOT EXISTS rfm_scores
(
    run_id String,
    customer_id String,
    as_of DateTime64(3, 'UTC'),
    recency_days UInt32,
    frequency UInt32,
    monetary Decimal(38, 4),
    r UInt8,
    f UInt8,
    m UInt8,
    score String,
    segment LowCardinality(String)
)
ENGINE = MergeTree
ORDER BY (run_id, customer_id);
