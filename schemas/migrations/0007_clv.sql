-- Customer lifetime value (BG/NBD + Gamma-Gamma), kept per run. Times are in the run's time
-- unit (job_runs.params.timeUnit), measured from the customer's first order: t_x is the time
-- of the last repeat order, T the customer's age at the as-of time.
CREATE TABLE IF NOT EXISTS clv_scores
(
    run_id String,
    customer_id String,
    as_of DateTime64(3, 'UTC'),
    orders UInt32,
    x UInt32,
    t_x Float64,
    T Float64,
    mean_value Float64,
    p_alive Float64,
    expected_orders Float64,
    expected_order_value Float64,
    expected_value Float64,
    clv Float64
)
ENGINE = MergeTree
ORDER BY (run_id, customer_id);

-- Working data of a clv run: each customer's repeat-purchase summary in whole days, and the
-- horizon terms shared by customers with the same x and age. Dropped after a week.
CREATE TABLE IF NOT EXISTS clv_summaries
(
    run_id String,
    customer_id String,
    orders UInt32,
    x UInt32,
    tx_days UInt32,
    t_days UInt32,
    mean_value Float64,
    created_at DateTime('UTC') DEFAULT now()
)
ENGINE = MergeTree
ORDER BY (run_id, customer_id)
TTL created_at + INTERVAL 7 DAY;

CREATE TABLE IF NOT EXISTS clv_terms
(
    run_id String,
    x UInt32,
    t_days UInt32,
    purchases_if_alive Float64,
    discounted_if_alive Float64,
    created_at DateTime('UTC') DEFAULT now()
)
ENGINE = MergeTree
ORDER BY (run_id, x, t_days)
TTL created_at + INTERVAL 7 DAY;
