import { ownersSql } from '@rapport/profiles';

/**
 * SQL of the clv job. Every value is a bound parameter; times are epoch milliseconds.
 *
 * Orders are `purchase` events at or before the as-of time, in the reporting currency; an
 * order placed under an anonymous id counts for the customer that id was linked to at the
 * as-of time (as in the rfm job). Refunds are not netted off: the spend model describes what
 * customers order, and a refund is not a negative order.
 */

const DAY_MS = 86_400_000;

/** Every order by the as-of time with the customer it counts for. */
function ordersSql(): string {
  return `
    SELECT if(e.customer_id != '', e.customer_id, owners.owner) AS customer_id,
           toUnixTimestamp64Milli(e.timestamp) AS at, toFloat64(e.amount) AS amount, e.event_id AS event_id
    FROM events AS e
    LEFT JOIN (${ownersSql({ asOf: true })}) AS owners ON e.anonymous_id = owners.anonymous_id
    WHERE e.type = 'purchase' AND e.timestamp <= fromUnixTimestamp64Milli({asOf:Int64}, 'UTC')`;
}

/** What counts as one purchase: a customer's purchase day (the default) or every order. */
export const PURCHASE_GROUPINGS = ['day', 'order'] as const;
export type PurchaseGrouping = (typeof PURCHASE_GROUPINGS)[number];

/** What a repeat purchase is under a grouping, for messages. */
export function repeatPurchase(grouping: PurchaseGrouping): string {
  return grouping === 'day' ? 'an order on a later day than the first' : 'a second order';
}

/**
 * Purchases as the model counts them. By day (the default): at most one a day (UTC days), as in
 * the data BG/NBD was made for. A day's orders are one purchase, worth their sum, at the time of
 * its first order: a customer who places three orders in an afternoon has bought once that day.
 * Counting each order would put repeat purchases at t_x = 0 days, where the purchase model's
 * likelihood has no maximum, and would count a split basket as loyalty. By order: every order
 * is a purchase of its own, still measured in whole days (for businesses whose customers order
 * several times a day on purpose).
 */
function purchasesSql(grouping: PurchaseGrouping): string {
  if (grouping === 'order') {
    return `
    SELECT customer_id, intDiv(at, ${DAY_MS}) AS day, at AS day_at, toUInt32(1) AS orders, amount
    FROM (${ordersSql()})
    WHERE customer_id != ''`;
  }
  return `
    SELECT customer_id, intDiv(at, ${DAY_MS}) AS day, min(at) AS day_at, toUInt32(count()) AS orders,
           sum(amount) AS amount
    FROM (${ordersSql()})
    WHERE customer_id != ''
    GROUP BY customer_id, day`;
}

/**
 * Each customer's repeat-purchase summary in days (UTC) from the day of the first order:
 * x = purchases − 1, t_x = the day of the last, T = the as-of day; orders = every order;
 * mean_value = the mean value of the repeat purchases (0 when there are none; the first
 * purchase is left out, as the spend model describes repeat purchases).
 */
export function summarizeSql(grouping: PurchaseGrouping): string {
  return `
INSERT INTO clv_summaries (run_id, customer_id, orders, x, tx_days, t_days, mean_value)
SELECT {runId:String}, customer_id, orders, purchases - 1,
       toUInt32(last_day - first_day),
       toUInt32(intDiv({asOf:Int64}, ${DAY_MS}) - first_day),
       if(purchases > 1, greatest(total - first_amount, 0) / (purchases - 1), 0)
FROM
(
    SELECT customer_id, toUInt32(sum(orders)) AS orders, toUInt32(count()) AS purchases,
           min(day) AS first_day, max(day) AS last_day,
           sum(amount) AS total, argMin(amount, day_at) AS first_amount
    FROM (${purchasesSql(grouping)})
    GROUP BY customer_id
)`;
}

/**
 * The histories the purchase model is fitted on: a fixed sample of customers (by a hash of
 * their id, so reruns fit the same people), grouped by identical (x, t_x, T) in days.
 */
export function fitTripletsSql(): string {
  return `
SELECT x, tx_days, t_days, toUInt32(count()) AS customers
FROM
(
    SELECT x, tx_days, t_days FROM clv_summaries WHERE run_id = {runId:String}
    ORDER BY cityHash64(customer_id) LIMIT {sampleSize:UInt32}
)
GROUP BY x, tx_days, t_days`;
}

/** The same sample's repeat customers with a positive mean value, for the spend model. */
export function fitSpendSql(): string {
  return `
SELECT x, mean_value
FROM
(
    SELECT x, mean_value FROM clv_summaries WHERE run_id = {runId:String}
    ORDER BY cityHash64(customer_id) LIMIT {sampleSize:UInt32}
)
WHERE x > 0 AND mean_value > 0`;
}

/**
 * The distinct (x, T) pairs whose horizon terms the scoring needs, with how many customers
 * share each and one of their t_x (in the run record if the pair's terms fail; the record names
 * no customer, which an erasure could not reach there).
 */
export function distinctAgesSql(): string {
  return `
SELECT x, t_days, toUInt32(count()) AS customers,
       argMin(tx_days, customer_id) AS example_tx_days
FROM clv_summaries WHERE run_id = {runId:String}
GROUP BY x, t_days`;
}

/** Whole days from the earliest first order to the as-of time. */
export function historyDaysSql(): string {
  return `SELECT toUInt32(max(t_days)) AS days FROM clv_summaries WHERE run_id = {runId:String}`;
}

/**
 * Scores every summarised customer where the data is. P(alive) and the Gamma-Gamma expected
 * order value are closed forms of the fitted parameters; the hypergeometric part of the
 * expected purchases, which ClickHouse has no function for, comes from clv_terms, computed
 * once per distinct (x, T).
 */
export function scoreSql(): string {
  return `
INSERT INTO clv_scores (run_id, customer_id, as_of, orders, x, t_x, T, mean_value, p_alive,
                        expected_orders, expected_order_value, expected_value, clv)
SELECT {runId:String}, s.customer_id, fromUnixTimestamp64Milli({asOf:Int64}, 'UTC'), s.orders, s.x,
       s.t_x, s.T, s.mean_value, s.p_alive,
       s.p_alive * terms.purchases_if_alive AS expected_orders,
       s.order_value,
       s.p_alive * terms.purchases_if_alive * s.order_value,
       s.p_alive * terms.discounted_if_alive * s.order_value
FROM
(
    SELECT customer_id, orders, x, t_days, mean_value,
           tx_days / {unitDays:Float64} AS t_x, t_days / {unitDays:Float64} AS T,
           if(x = 0, 1.,
              1 / (1 + exp(log({a:Float64}) - log({b:Float64} + x - 1)
                   + ({r:Float64} + x) * (log({alpha:Float64} + T) - log({alpha:Float64} + t_x))))) AS p_alive,
           {p:Float64} * ({gamma:Float64} + x * mean_value) / ({p:Float64} * x + {q:Float64} - 1) AS order_value
    FROM clv_summaries WHERE run_id = {runId:String}
) AS s
INNER JOIN
(
    SELECT x, t_days, purchases_if_alive, discounted_if_alive
    FROM clv_terms WHERE run_id = {runId:String}
) AS terms ON s.x = terms.x AND s.t_days = terms.t_days`;
}

/**
 * The holdout check's data: customers with a purchase by the calibration end, their summary at
 * that time in days and the purchases after it up to the as-of time (a purchase day belongs to
 * the period of its first order), for the same kind of sample as the fit, grouped by identical
 * calibration histories.
 */
export function holdoutSql(grouping: PurchaseGrouping): string {
  return `
SELECT x, tx_days, t_days, toUInt32(count()) AS customers, toUInt64(sum(actual)) AS actual
FROM
(
    SELECT customer_id,
           toUInt32(countIf(day_at <= {calibrationEnd:Int64}) - 1) AS x,
           toUInt32(maxIf(day, day_at <= {calibrationEnd:Int64}) - minIf(day, day_at <= {calibrationEnd:Int64})) AS tx_days,
           toUInt32(intDiv({calibrationEnd:Int64}, ${DAY_MS}) - minIf(day, day_at <= {calibrationEnd:Int64})) AS t_days,
           countIf(day_at > {calibrationEnd:Int64}) AS actual
    FROM (${purchasesSql(grouping)})
    GROUP BY customer_id
    HAVING countIf(day_at <= {calibrationEnd:Int64}) > 0
    ORDER BY cityHash64(customer_id) LIMIT {sampleSize:UInt32}
)
GROUP BY x, tx_days, t_days`;
}

/** Totals and quantiles of a run, for its summary. */
export function totalsSql(): string {
  return `
SELECT toUInt64(count()) AS customers, sum(expected_orders) AS total_expected_orders,
       sum(expected_value) AS total_expected_value, sum(clv) AS total_clv,
       avg(p_alive) AS mean_p_alive, countIf(NOT isFinite(clv) OR NOT isFinite(p_alive)) AS not_finite
FROM clv_scores WHERE run_id = {runId:String}`;
}
