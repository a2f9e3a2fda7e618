-- Segment definitions, one row per version: a PUT adds the next version, a DELETE adds a
-- version marked deleted. The newest version of an id is the segment as it stands.
CREATE TABLE IF NOT EXISTS segment_definitions
(
    segment_id String,
    version UInt32,
    name String,
    description String,
    rule String,
    deleted UInt8,
    created_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (segment_id, version);

-- One row per profile and segments run: every field a rule can test, computed once per run
-- so that all segments of the run see the same profiles. A profile is an identified customer
-- (`c:<customerId>`, its linked anonymous ids merged in) or an anonymous visitor no customer
-- owns (`a:<anonymousId>`). Results of the latest rfm, clv and clusters runs are copied in.
-- One partition per run: old runs are dropped whole.
CREATE TABLE IF NOT EXISTS profile_features
(
    run_id String,
    profile_key String,
    customer_id String,
    anonymous_id String,
    computed_at DateTime64(3, 'UTC'),
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
    email_open_rate Nullable(Float64),
    email_click_rate Nullable(Float64),
    categories Array(String),
    category_breadth UInt32,
    channels Array(String),
    traits Map(String, String),
    lifecycle LowCardinality(String),
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
    clv_expected_value Nullable(Float64)
)
ENGINE = MergeTree
PARTITION BY run_id
ORDER BY profile_key;

-- The members of each segment as one run found them; partitioned by run so that a run's
-- answer can be read (members pages) and replaced whole. Old runs are dropped once no
-- segment's latest evaluation points at them.
CREATE TABLE IF NOT EXISTS segment_results
(
    run_id String,
    segment_id String,
    version UInt32,
    profile_key String
)
ENGINE = MergeTree
PARTITION BY run_id
ORDER BY (segment_id, profile_key);

-- One row per segment per run, written once the run's membership changes for the segment
-- are stored: the latest row says which results are current and when they were computed.
CREATE TABLE IF NOT EXISTS segment_evaluations
(
    segment_id String,
    run_id String,
    version UInt32,
    evaluated_at DateTime64(3, 'UTC'),
    members UInt64,
    entered UInt64,
    exited UInt64,
    seconds Float64
)
ENGINE = MergeTree
ORDER BY (segment_id, evaluated_at, run_id);

-- Membership as intervals: a row per stay in a segment. An exit writes the same interval
-- again with exited_at set and a newer updated_at; read with FINAL. Ordered by profile for
-- the profile look-up; the set index keeps per-segment reads from scanning every granule.
CREATE TABLE IF NOT EXISTS segment_membership
(
    profile_key String,
    segment_id String,
    entered_at DateTime64(3, 'UTC'),
    exited_at Nullable(DateTime64(3, 'UTC')),
    version UInt32,
    exited_version Nullable(UInt32),
    entered_run String,
    exited_run String,
    updated_at DateTime64(3, 'UTC'),
    INDEX by_segment segment_id TYPE bloom_filter GRANULARITY 1
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (profile_key, segment_id, entered_at);
