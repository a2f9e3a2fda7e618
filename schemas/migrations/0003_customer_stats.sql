-- Per-customer-key aggregates, kept current by a materialized view on every insert. Keys are
-- `c:<customerId>` or `a:<anonymousId>`; a profile merges its customer key with the keys of
-- the anonymous ids linked to it at read time, so undoing a link needs no rewrite. Every
-- column is an exact, order-independent aggregate: streaming and replay give the same rows.
-- Unlink events are an admin's correction, not customer activity: they count for nothing.
-- Counts by key (type, channel, email action, category) are built once per customer and
-- block from grouped arrays: a map per row cost more than the rest of the view together.
-- JSON is parsed only on the rows that need it (if() evaluates lazily).
CREATE TABLE IF NOT EXISTS customer_stats
(
    customer_key String,
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    last_received SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    event_count SimpleAggregateFunction(sum, UInt64),
    events_by_type SimpleAggregateFunction(sumMap, Map(String, UInt64)),
    events_by_channel SimpleAggregateFunction(sumMap, Map(String, UInt64)),
    visit_days AggregateFunction(uniqExact, Date),
    orders SimpleAggregateFunction(sum, UInt64),
    revenue SimpleAggregateFunction(sum, Decimal(38, 4)),
    refunds SimpleAggregateFunction(sum, UInt64),
    refunded SimpleAggregateFunction(sum, Decimal(38, 4)),
    last_order AggregateFunction(argMax, Tuple(String, Decimal(18, 4)), Tuple(DateTime64(3, 'UTC'), String)),
    last_order_at SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    email_actions SimpleAggregateFunction(sumMap, Map(String, UInt64)),
    categories SimpleAggregateFunction(sumMap, Tuple(Array(String), Array(UInt64)))
)
ENGINE = AggregatingMergeTree
ORDER BY customer_key
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS customer_stats_from_events TO customer_stats AS
SELECT
    customer_key,
    min(timestamp) AS first_seen,
    max(timestamp) AS last_seen,
    max(received_at) AS last_received,
    count() AS event_count,
    mapFromArrays(
        arraySort(arrayDistinct(groupArray(toString(type)) AS types)) AS type_keys,
        arrayMap(k -> toUInt64(countEqual(types, k)), type_keys)
    ) AS events_by_type,
    mapFromArrays(
        arraySort(arrayDistinct(groupArray(toString(channel)) AS channels)) AS channel_keys,
        arrayMap(k -> toUInt64(countEqual(channels, k)), channel_keys)
    ) AS events_by_channel,
    uniqExactStateIf(toDate(timestamp), type = 'page_view') AS visit_days,
    countIf(type = 'purchase') AS orders,
    sumIf(toDecimal128(amount, 4), type = 'purchase') AS revenue,
    countIf(type = 'refund') AS refunds,
    sumIf(toDecimal128(amount, 4), type = 'refund') AS refunded,
    argMaxStateIf((order_id, amount), (timestamp, event_id), type = 'purchase') AS last_order,
    maxIf(toNullable(timestamp), type = 'purchase') AS last_order_at,
    mapFromArrays(
        arraySort(arrayDistinct(
            groupArrayIf(if(type = 'email', JSONExtractString(properties, 'action'), ''), type = 'email') AS actions
        )) AS action_keys,
        arrayMap(k -> toUInt64(countEqual(actions, k)), action_keys)
    ) AS email_actions,
    (
        arraySort(arrayDistinct(groupArrayArray(if(type = 'purchase',
            arrayFilter(c -> c != '', arrayMap(i -> JSONExtractString(i, 'category'), JSONExtractArrayRaw(properties, 'items'))),
            [])) AS item_categories)) AS category_keys,
        arrayMap(k -> toUInt64(countEqual(item_categories, k)), category_keys)
    ) AS categories
FROM events
WHERE type != 'identity_unlink'
GROUP BY customer_key;
