-- backfills: complete
-- Rollups the marketing reports (packages/reports) read instead of the event log, kept by
-- materialized views on every insert into `events` and filled from the log below. Every column
-- is an order-independent aggregate (sum, min, max), so reads aggregate raw rows without FINAL,
-- and streaming, replay and this backfill give the same figures. Unlink events are an admin's
-- correction, not customer activity: they count for nothing, as in customer_stats.

-- Events, and the amounts they carry, per UTC day, type and channel: the overview's event and
-- order series. It names no one (no customer key): an erasure leaves these counts as they are.
CREATE TABLE IF NOT EXISTS report_totals
(
    day Date,
    type LowCardinality(String),
    channel LowCardinality(String),
    events SimpleAggregateFunction(sum, UInt64),
    amount SimpleAggregateFunction(sum, Decimal(38, 4))
)
ENGINE = AggregatingMergeTree
ORDER BY (day, type, channel)
SETTINGS non_replicated_deduplication_window = 10000;

-- A customer key's activity per UTC day and channel. Reports merge anonymous keys into their
-- current owner on these rows (about a quarter of the events' count) rather than on events.
-- - visits: events of the visit types (page_view, click, search, purchase, interaction, track:
--   VISIT_TYPES in packages/reports); orders and revenue: purchases.
-- - first_event: the earliest event as `<ms + 10^13, 14 digits><event_id>\t<channel>\t<source>\t<medium>`,
--   so that min() orders by (timestamp, event_id) like the log (ids hold no control character)
--   and carries the first touch's channel and campaign tags along (base64, as a tag may hold
--   a tab).
-- - first_tag: the same for the earliest visit event whose context names a campaign
--   (`…\t<source>\t<medium>\t<name>`), NULL when none does.
CREATE TABLE IF NOT EXISTS report_daily
(
    day Date,
    channel LowCardinality(String),
    customer_key String,
    events SimpleAggregateFunction(sum, UInt64),
    visits SimpleAggregateFunction(sum, UInt64),
    orders SimpleAggregateFunction(sum, UInt64),
    revenue SimpleAggregateFunction(sum, Decimal(38, 4)),
    first_order_at SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    first_event SimpleAggregateFunction(min, String),
    first_tag SimpleAggregateFunction(min, Nullable(String))
)
ENGINE = AggregatingMergeTree
ORDER BY (day, channel, customer_key)
SETTINGS non_replicated_deduplication_window = 10000;

-- Email events (campaign and action parsed once) and purchases, one row each: the campaigns
-- report's funnels and its last-click attribution, which needs every click and order time.
CREATE TABLE IF NOT EXISTS report_touches
(
    type LowCardinality(String),
    action LowCardinality(String),
    campaign String,
    customer_key String,
    timestamp DateTime64(3, 'UTC'),
    amount Decimal(18, 4)
)
ENGINE = MergeTree
ORDER BY (type, action, campaign, customer_key, timestamp)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS report_totals_from_events TO report_totals AS
SELECT toDate(timestamp) AS day, type, channel, count() AS events,
    sum(toDecimal128(amount, 4)) AS amount
FROM events
WHERE type != 'identity_unlink'
GROUP BY day, type, channel;

CREATE MATERIALIZED VIEW IF NOT EXISTS report_daily_from_events TO report_daily AS
SELECT toDate(timestamp) AS day, channel, customer_key,
    count() AS events,
    countIf(type IN ('page_view', 'click', 'search', 'purchase', 'interaction', 'track')) AS visits,
    countIf(type = 'purchase') AS orders,
    sumIf(toDecimal128(amount, 4), type = 'purchase') AS revenue,
    minIf(toNullable(timestamp), type = 'purchase') AS first_order_at,
    min(timestamp) AS first_seen,
    max(timestamp) AS last_seen,
    min(concat(leftPad(toString(toUnixTimestamp64Milli(timestamp) + 10000000000000), 14, '0'),
        event_id, '\t', toString(channel), '\t', base64Encode(tag.1), '\t', base64Encode(tag.2))) AS first_event,
    minIf(toNullable(concat(leftPad(toString(toUnixTimestamp64Milli(timestamp) + 10000000000000), 14, '0'),
            event_id, '\t', base64Encode(tag.1), '\t', base64Encode(tag.2), '\t', base64Encode(tag.3))),
        type IN ('page_view', 'click', 'search', 'purchase', 'interaction', 'track')
            AND (tag.1 != '' OR tag.2 != '' OR tag.3 != '')) AS first_tag
FROM (
    SELECT timestamp, event_id, type, channel, customer_key, amount,
        -- Only contexts that mention a campaign are parsed (if() evaluates lazily).
        if(position(context, 'campaign') > 0,
            (JSONExtractString(context, 'campaign', 'source'),
             JSONExtractString(context, 'campaign', 'medium'),
             JSONExtractString(context, 'campaign', 'name')),
            ('', '', '')) AS tag
    FROM events
    WHERE type != 'identity_unlink'
)
GROUP BY day, channel, customer_key;

CREATE MATERIALIZED VIEW IF NOT EXISTS report_touches_from_events TO report_touches AS
SELECT type, tupleElement(p, 'action') AS action, tupleElement(p, 'campaignId') AS campaign,
    customer_key, timestamp, amount
FROM (
    SELECT type, customer_key, timestamp, amount,
        if(type = 'email', JSONExtract(properties, 'Tuple(campaignId String, action String)'),
            CAST(('', ''), 'Tuple(campaignId String, action String)')) AS p
    FROM events
    WHERE type IN ('email', 'purchase')
);

-- The backfill: the views' own queries over the events already stored. Emptied first, so a
-- migration interrupted after its views were made gives the same rows when it runs again.
TRUNCATE TABLE report_totals;
TRUNCATE TABLE report_daily;
TRUNCATE TABLE report_touches;

INSERT INTO report_totals
SELECT toDate(timestamp) AS day, type, channel, count() AS events,
    sum(toDecimal128(amount, 4)) AS amount
FROM events
WHERE type != 'identity_unlink'
GROUP BY day, type, channel;

INSERT INTO report_daily
SELECT toDate(timestamp) AS day, channel, customer_key,
    count() AS events,
    countIf(type IN ('page_view', 'click', 'search', 'purchase', 'interaction', 'track')) AS visits,
    countIf(type = 'purchase') AS orders,
    sumIf(toDecimal128(amount, 4), type = 'purchase') AS revenue,
    minIf(toNullable(timestamp), type = 'purchase') AS first_order_at,
    min(timestamp) AS first_seen,
    max(timestamp) AS last_seen,
    min(concat(leftPad(toString(toUnixTimestamp64Milli(timestamp) + 10000000000000), 14, '0'),
        event_id, '\t', toString(channel), '\t', base64Encode(tag.1), '\t', base64Encode(tag.2))) AS first_event,
    minIf(toNullable(concat(leftPad(toString(toUnixTimestamp64Milli(timestamp) + 10000000000000), 14, '0'),
            event_id, '\t', base64Encode(tag.1), '\t', base64Encode(tag.2), '\t', base64Encode(tag.3))),
        type IN ('page_view', 'click', 'search', 'purchase', 'interaction', 'track')
            AND (tag.1 != '' OR tag.2 != '' OR tag.3 != '')) AS first_tag
FROM (
    SELECT timestamp, event_id, type, channel, customer_key, amount,
        if(position(context, 'campaign') > 0,
            (JSONExtractString(context, 'campaign', 'source'),
             JSONExtractString(context, 'campaign', 'medium'),
             JSONExtractString(context, 'campaign', 'name')),
            ('', '', '')) AS tag
    FROM events
    WHERE type != 'identity_unlink'
)
GROUP BY day, channel, customer_key;

INSERT INTO report_touches
SELECT type, tupleElement(p, 'action') AS action, tupleElement(p, 'campaignId') AS campaign,
    customer_key, timestamp, amount
FROM (
    SELECT type, customer_key, timestamp, amount,
        if(type = 'email', JSONExtract(properties, 'Tuple(campaignId String, action String)'),
            CAST(('', ''), 'Tuple(campaignId String, action String)')) AS p
    FROM events
    WHERE type IN ('email', 'purchase')
);
