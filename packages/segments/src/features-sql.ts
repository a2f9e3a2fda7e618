/**
 * Parameters of the profile features query, bound as `{name:Type}`:
 * - `runId` (String): the run the rows belong to;
 * - `now` (Int64, epoch ms): the time "days since" and the lifecycle stage are measured at;
 * - `lapsedMs` (Int64): an identified customer silent for longer is `lapsed`;
 * - `rfmRun`, `clvRun`, `clustersRun` (String): the runs whose scores are copied in, or ''.
 */
export interface FeaturesParams {
  runId: string;
  now: number;
  lapsedMs: number;
  rfmRun: string;
  clvRun: string;
  clustersRun: string;
}

/**
 * The profile key of a `customer_stats` key: an anonymous key owned by a customer (latest
 * link row by event time is a link) counts for the customer's `c:` key.
 */
export const OWNERS_SQL = `
SELECT anonymous_id, argMax(customer_id, (at, event_id)) AS owner
FROM identity_links
GROUP BY anonymous_id
HAVING argMax(linked, (at, event_id)) = 1`;

const DAY_MS = 86_400_000;

/** The columns of `profile_features`, in table order. */
export const FEATURE_COLUMNS = `
    {runId:String} AS run_id,
    p.profile_key AS profile_key,
    if(startsWith(p.profile_key, 'c:'), substring(p.profile_key, 3), '') AS customer_id,
    if(startsWith(p.profile_key, 'a:'), substring(p.profile_key, 3), '') AS anonymous_id,
    fromUnixTimestamp64Milli({now:Int64}, 'UTC') AS computed_at,
    p.first_seen AS first_seen,
    p.last_seen AS last_seen,
    p.last_order_at AS last_order_at,
    p.events AS events,
    p.visits AS visits,
    p.by_type['page_view'] AS page_views,
    p.by_type['search'] AS searches,
    p.by_type['click'] AS clicks,
    p.by_type['interaction'] AS interactions,
    p.orders AS orders,
    p.refunds AS refunds,
    p.revenue AS revenue,
    p.refunded AS refunded,
    p.revenue - p.refunded AS net_revenue,
    if(p.orders > 0, p.revenue / p.orders, NULL) AS average_order_value,
    p.email['sent'] AS email_sent,
    p.email['delivered'] AS email_delivered,
    p.email['opened'] AS email_opened,
    p.email['clicked'] AS email_clicked,
    p.email['bounced'] AS email_bounced,
    p.email['unsubscribed'] AS email_unsubscribed,
    if(email_sent > 0, email_opened / email_sent, NULL) AS email_open_rate,
    if(email_sent > 0, email_clicked / email_sent, NULL) AS email_click_rate,
    arraySort(arrayFilter((c, n) -> n > 0 AND c != '', p.cats.1, p.cats.2)) AS categories,
    toUInt32(length(categories)) AS category_breadth,
    arraySort(arrayFilter(c -> p.by_channel[c] > 0, mapKeys(p.by_channel))) AS channels,
    t.traits AS traits,
    multiIf(
        customer_id = '', 'visitor',
        toUnixTimestamp64Milli(p.last_seen) < {now:Int64} - {lapsedMs:Int64}, 'lapsed',
        p.orders = 0, 'lead',
        p.orders = 1, 'customer',
        'repeat') AS lifecycle,
    if(r.scored = 1, r.recency_days, NULL) AS rfm_recency_days,
    if(r.scored = 1, r.frequency, NULL) AS rfm_frequency,
    if(r.scored = 1, r.monetary, NULL) AS rfm_monetary,
    if(r.scored = 1, r.r, NULL) AS rfm_r,
    if(r.scored = 1, r.f, NULL) AS rfm_f,
    if(r.scored = 1, r.m, NULL) AS rfm_m,
    if(r.scored = 1, r.score, NULL) AS rfm_score,
    if(r.scored = 1, r.segment, NULL) AS rfm_segment,
    if(k.assigned = 1, k.cluster, NULL) AS cluster,
    if(v.scored = 1, v.clv, NULL) AS clv,
    if(v.scored = 1, v.p_alive, NULL) AS clv_p_alive,
    if(v.scored = 1, v.expected_orders, NULL) AS clv_expected_orders,
    if(v.scored = 1, v.expected_value, NULL) AS clv_expected_value`;

/**
 * Every profile with its fields, from the streaming projections (exact, merged across a
 * customer's linked anonymous ids) and the latest job results. One row per profile key.
 */
export function featuresSelectSql(): string {
  return `
SELECT ${FEATURE_COLUMNS}
FROM
(
    SELECT
        if(startsWith(s.customer_key, 'a:') AND o.owner != '', concat('c:', o.owner), s.customer_key) AS profile_key,
        min(s.first_seen) AS first_seen,
        max(s.last_seen) AS last_seen,
        max(s.last_order_at) AS last_order_at,
        sum(s.event_count) AS events,
        uniqExactMerge(s.visit_days) AS visits,
        sumMap(s.events_by_type) AS by_type,
        sumMap(s.events_by_channel) AS by_channel,
        sum(s.orders) AS orders,
        sum(s.refunds) AS refunds,
        toFloat64(sum(s.revenue)) AS revenue,
        toFloat64(sum(s.refunded)) AS refunded,
        sumMap(s.email_actions) AS email,
        sumMap(s.categories) AS cats
    FROM customer_stats AS s
    LEFT JOIN (${OWNERS_SQL}) AS o
        ON o.anonymous_id = if(startsWith(s.customer_key, 'a:'), substring(s.customer_key, 3), '')
    GROUP BY profile_key
) AS p
LEFT JOIN
(
    SELECT concat('c:', customer_id) AS profile_key, mapFromArrays(groupArray(trait), groupArray(value)) AS traits
    FROM (SELECT customer_id, trait, argMaxMerge(value) AS value FROM customer_traits GROUP BY customer_id, trait)
    WHERE value != 'null'
    GROUP BY customer_id
) AS t ON t.profile_key = p.profile_key
LEFT JOIN
(
    SELECT concat('c:', customer_id) AS profile_key, 1 AS scored, recency_days, frequency,
           toFloat64(monetary) AS monetary, r, f, m, score, segment
    FROM rfm_scores WHERE run_id = {rfmRun:String}
) AS r ON r.profile_key = p.profile_key
LEFT JOIN
(
    SELECT concat('c:', customer_id) AS profile_key, 1 AS scored, clv, p_alive, expected_orders, expected_value
    FROM clv_scores WHERE run_id = {clvRun:String}
) AS v ON v.profile_key = p.profile_key
LEFT JOIN
(
    SELECT profile_key, 1 AS assigned, cluster
    FROM cluster_assignments WHERE run_id = {clustersRun:String}
) AS k ON k.profile_key = p.profile_key
SETTINGS join_use_nulls = 0`;
}

/** Writes one run's profile features (see FeaturesParams). */
export function featuresInsertSql(): string {
  return `INSERT INTO profile_features ${featuresSelectSql()}`;
}

/** The lapse threshold as the features query takes it. */
export function lapsedMs(lapsedAfterDays: number): number {
  return lapsedAfterDays * DAY_MS;
}
