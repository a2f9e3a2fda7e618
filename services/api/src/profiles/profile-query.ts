import type { Store } from '@rapport/store';

/** One customer's merged aggregates, in plain numbers (epoch ms for times). */
export interface StatsRow {
  first_seen: number;
  last_seen: number;
  last_received: number;
  events: number;
  by_type: Record<string, number>;
  by_channel: Record<string, number>;
  visits: number;
  orders: number;
  revenue: number;
  refunds: number;
  refunded: number;
  last_order: [string, number];
  last_order_at: number | null;
  email: Record<string, number>;
  categories: [string[], number[]];
}

// Merges the streaming projection of every key of the customer.
const CURRENT = `
SELECT
    toUnixTimestamp64Milli(min(first_seen)) AS first_seen,
    toUnixTimestamp64Milli(max(last_seen)) AS last_seen,
    toUnixTimestamp64Milli(max(last_received)) AS last_received,
    sum(event_count) AS events,
    sumMap(events_by_type) AS by_type,
    sumMap(events_by_channel) AS by_channel,
    uniqExactMerge(visit_days) AS visits,
    sum(orders) AS orders,
    toFloat64(sum(revenue)) AS revenue,
    sum(refunds) AS refunds,
    toFloat64(sum(refunded)) AS refunded,
    argMaxMerge(last_order) AS last_order,
    toUnixTimestamp64Milli(max(last_order_at)) AS last_order_at,
    sumMap(email_actions) AS email,
    sumMap(categories) AS categories
FROM customer_stats
WHERE customer_key IN {keys:Array(String)}`;

// The same aggregates computed from the event log up to a time; must match customer_stats
// (a test compares the two on generated data).
const AS_OF = `
SELECT
    toUnixTimestamp64Milli(min(timestamp)) AS first_seen,
    toUnixTimestamp64Milli(max(timestamp)) AS last_seen,
    toUnixTimestamp64Milli(max(received_at)) AS last_received,
    count() AS events,
    sumMap(map(toString(type), toUInt64(1))) AS by_type,
    sumMap(map(toString(channel), toUInt64(1))) AS by_channel,
    uniqExactIf(toDate(timestamp), type = 'page_view') AS visits,
    countIf(type = 'purchase') AS orders,
    toFloat64(sumIf(toDecimal128(amount, 4), type = 'purchase')) AS revenue,
    countIf(type = 'refund') AS refunds,
    toFloat64(sumIf(toDecimal128(amount, 4), type = 'refund')) AS refunded,
    argMaxIf((order_id, amount), (timestamp, event_id), type = 'purchase') AS last_order,
    toUnixTimestamp64Milli(maxIf(toNullable(timestamp), type = 'purchase')) AS last_order_at,
    sumMapIf(map(JSONExtractString(properties, 'action'), toUInt64(1)), type = 'email') AS email,
    sumMapIf(
        arrayFilter(c -> c != '', arrayMap(i -> JSONExtractString(i, 'category'), JSONExtractArrayRaw(properties, 'items'))) AS item_categories,
        arrayMap(c -> toUInt64(1), item_categories),
        type = 'purchase'
    ) AS categories
FROM events
WHERE customer_key IN {keys:Array(String)}
  AND type != 'identity_unlink'
  AND timestamp <= fromUnixTimestamp64Milli({asOf:Int64}, 'UTC')`;

export async function readStats(
  store: Store,
  keys: string[],
  asOf?: number,
): Promise<StatsRow | undefined> {
  const [row] = await store.query<StatsRow>(asOf === undefined ? CURRENT : AS_OF, { keys, asOf });
  return row && Number(row.events) > 0 ? row : undefined;
}

/** Latest value of each trait, parsed from JSON. */
export async function readTraits(
  store: Store,
  customerId: string,
  asOf?: number,
): Promise<Record<string, unknown>> {
  const rows = await store.query<{ trait: string; value: string }>(
    asOf === undefined
      ? `SELECT trait, argMaxMerge(value) AS value FROM customer_traits
         WHERE customer_id = {customerId:String} GROUP BY trait ORDER BY trait`
      : `SELECT kv.1 AS trait, argMax(kv.2, (timestamp, event_id)) AS value
         FROM events ARRAY JOIN JSONExtractKeysAndValuesRaw(properties, 'traits') AS kv
         WHERE customer_key = {key:String} AND type = 'identify'
           AND timestamp <= fromUnixTimestamp64Milli({asOf:Int64}, 'UTC')
         GROUP BY trait ORDER BY trait`,
    { customerId, key: `c:${customerId}`, asOf },
  );
  const traits: Record<string, unknown> = {};
  for (const { trait, value } of rows) {
    const parsed: unknown = JSON.parse(value);
    if (parsed !== null) traits[trait] = parsed;
  }
  return traits;
}

/** Customers whose current `trait` equals `value` (case-insensitive). */
export async function findByTrait(store: Store, trait: string, value: string): Promise<string[]> {
  const rows = await store.query<{ customer_id: string }>(
    `SELECT customer_id FROM customer_traits
     WHERE trait = {trait:String}
       AND customer_id IN (
         SELECT customer_id FROM trait_index
         WHERE trait = {trait:String} AND value = lowerUTF8({value:String})
       )
     GROUP BY customer_id
     HAVING lowerUTF8(JSONExtract(argMaxMerge(value), 'String')) = lowerUTF8({value:String})
     ORDER BY customer_id
     LIMIT 100`,
    { trait, value },
  );
  return rows.map((row) => row.customer_id);
}
