-- One current row per profile, addressable by its key: every profile field as the profile read
-- shows it (its activity merged over its keys, its traits, its anonymous ids and the results of
-- the job runs it names), computed with the same SQL as the segments snapshot. The pipeline
-- rewrites the rows of the profiles each committed batch touched, and every row after a job
-- run, so that reading a profile is a primary-key lookup instead of an aggregation. The
-- lifecycle stage depends on the time of the read and is computed then. A profile whose keys
-- no longer hold anything (an anonymous id now owned by a customer, an erased customer) gets a
-- deleted row. The newest version of a key wins.
CREATE TABLE IF NOT EXISTS profile_rows
(
    profile_key String,
    customer_id String,
    anonymous_id String,
    traits Map(String, String),
    anonymous_ids Array(String),
    first_seen DateTime64(3, 'UTC'),
    last_seen DateTime64(3, 'UTC'),
    last_order_at Nullable(DateTime64(3, 'UTC')),
    events UInt64,
    visits UInt64,
    page_views UInt64,
    searches UInt64,
    clicks UInt64,
    interactions UInt64,
    orders UInt64,
    refunds UInt64,
    revenue Float64,
    refunded Float64,
    net_revenue Float64,
    average_order_value Nullable(Float64),
    email_sent UInt64,
    email_delivered UInt64,
    email_opened UInt64,
    email_clicked UInt64,
    email_bounced UInt64,
    email_unsubscribed UInt64,
    email_complained UInt64,
    email_open_rate Nullable(Float64),
    email_click_rate Nullable(Float64),
    categories Array(String),
    category_breadth UInt32,
    channels Array(String),
    identified Bool,
    rfm_recency_days Nullable(UInt32),
    rfm_frequency Nullable(UInt32),
    rfm_monetary Nullable(Float64),
    rfm_r Nullable(UInt8),
    rfm_f Nullable(UInt8),
    rfm_m Nullable(UInt8),
    rfm_score Nullable(String),
    rfm_segment Nullable(String),
    cluster Nullable(UInt32),
    clv Nullable(Float64),
    clv_p_alive Nullable(Float64),
    clv_expected_orders Nullable(Float64),
    clv_expected_value Nullable(Float64),
    last_received_ms Int64,
    by_type Map(String, UInt64),
    by_channel Map(String, UInt64),
    last_order_id String,
    last_order_value Float64,
    top_categories Array(Tuple(String, UInt64)),
    rfm_as_of_ms Int64,
    clv_as_of_ms Int64,
    clv_orders UInt32,
    clv_x UInt32,
    clv_t_x Float64,
    clv_T Float64,
    clv_mean_value Float64,
    clv_expected_order_value Float64,
    cluster_label String,
    rfm_run String,
    clv_run String,
    clusters_run String,
    version UInt64,
    deleted UInt8
)
ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY profile_key;

-- Whether the rows can be trusted: `building` while they are rebuilt (after a crash, a replay
-- or on a store that never had them), `ready` once every profile's row is current, `stopped`
-- after a clean shutdown that left nothing to rewrite. The newest state holds.
CREATE TABLE IF NOT EXISTS profile_rows_state
(
    state LowCardinality(String),
    at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY at;
