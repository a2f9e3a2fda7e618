/**
 * Checks of each projection against the event log, for a set of profiles.
 *
 * Every query takes `{keys:Array(String)}`, profile keys (`c:<customerId>`, `a:<anonymousId>`,
 * the log's `customer_key`, so the log is read by its primary key), and `{ids:Array(String)}`,
 * the customer ids among them. It returns `{ key }` rows, values of the projection's `key`
 * column, for the keys whose projection rows differ from what the log gives. Each side is
 * turned into signed rows (+1 from the log, -1 from the projection) that must cancel out, so
 * a row missing on either side, short or counted twice, shows.
 */
export interface ProjectionCheck {
  table: string;
  /** The projection's column that `key` values belong to: rebuilt by it. */
  key: 'customer_key' | 'customer_id';
  sql: string;
}

// Identify and unlink events carry a customer id: their key is always `c:<customerId>`.
const IDENTIFY_TRAITS = `(SELECT customer_id, timestamp, event_id, properties FROM events
      WHERE customer_key IN {keys:Array(String)} AND type = 'identify')
    ARRAY JOIN JSONExtractKeysAndValuesRaw(properties, 'traits') AS kv`;

/**
 * Events per key in the log (those `where` keeps) against `counted` per key in a rollup keyed by
 * customer_key: a block its view missed or got twice changes the count.
 */
const countsCheck = (table: string, counted: string, where: string) => `SELECT key FROM (
        SELECT customer_key AS key, toInt64(count()) AS n FROM events
        WHERE customer_key IN {keys:Array(String)} AND ${where} GROUP BY key
        UNION ALL
        SELECT customer_key AS key, -toInt64(${counted}) AS n FROM ${table}
        WHERE customer_key IN {keys:Array(String)} GROUP BY key
      ) GROUP BY key HAVING sum(n) != 0`;

export const PROJECTION_CHECKS: readonly ProjectionCheck[] = [
  {
    table: 'customer_stats',
    key: 'customer_key',
    // Events and orders per key: a block a view missed or got twice changes both.
    sql: `SELECT key FROM (
        SELECT customer_key AS key, toInt64(count()) AS n, toInt64(countIf(type = 'purchase')) AS o
        FROM events WHERE customer_key IN {keys:Array(String)} AND type != 'identity_unlink'
        GROUP BY key
        UNION ALL
        SELECT customer_key AS key, -toInt64(sum(event_count)) AS n, -toInt64(sum(orders)) AS o
        FROM customer_stats WHERE customer_key IN {keys:Array(String)} GROUP BY key
      ) GROUP BY key HAVING sum(n) != 0 OR sum(o) != 0`,
  },
  {
    table: 'identity_links',
    key: 'customer_id',
    sql: `SELECT DISTINCT key FROM (
        SELECT customer_id AS key, event_id, 1 AS side FROM events
        WHERE customer_key IN {keys:Array(String)} AND type IN ('identify', 'identity_unlink')
          AND customer_id != '' AND anonymous_id != ''
        UNION ALL
        SELECT customer_id AS key, event_id, -1 AS side FROM identity_links
        WHERE customer_id IN {ids:Array(String)}
      ) GROUP BY key, event_id HAVING sum(side) != 0`,
  },
  {
    table: 'customer_traits',
    key: 'customer_id',
    sql: `SELECT DISTINCT key FROM (
        SELECT customer_id AS key, kv.1 AS trait, argMax(kv.2, (timestamp, event_id)) AS value,
          1 AS side
        FROM ${IDENTIFY_TRAITS}
        GROUP BY key, trait
        UNION ALL
        SELECT customer_id AS key, trait, argMaxMerge(value) AS value, -1 AS side
        FROM customer_traits WHERE customer_id IN {ids:Array(String)} GROUP BY key, trait
      ) GROUP BY key, trait, value HAVING sum(side) != 0`,
  },
  {
    table: 'trait_index',
    key: 'customer_id',
    sql: `SELECT DISTINCT key FROM (
        SELECT DISTINCT customer_id AS key, kv.1 AS trait,
          lowerUTF8(JSONExtract(kv.2, 'String')) AS value, 1 AS side
        FROM ${IDENTIFY_TRAITS}
        WHERE JSONType(kv.2) = 'String'
        UNION ALL
        SELECT DISTINCT customer_id AS key, trait, value, -1 AS side
        FROM trait_index WHERE customer_id IN {ids:Array(String)}
      ) GROUP BY key, trait, value HAVING sum(side) != 0`,
  },
  // The report rollups (migrations 0017–0019), keyed by customer like their events.
  {
    table: 'report_types',
    key: 'customer_key',
    sql: countsCheck('report_types', 'sum(events)', "type != 'identity_unlink'"),
  },
  {
    table: 'report_daily',
    key: 'customer_key',
    sql: countsCheck('report_daily', 'sum(events)', "type != 'identity_unlink'"),
  },
  {
    table: 'report_touches',
    key: 'customer_key',
    sql: countsCheck('report_touches', 'count()', "type IN ('email', 'purchase')"),
  },
  {
    table: 'report_keys',
    key: 'customer_key',
    // A key's first and last activity: a missed block holding its first or last event moves
    // one, and a key the view never saw is missing.
    sql: `SELECT DISTINCT key FROM (
        SELECT customer_key AS key, min(timestamp) AS first, max(timestamp) AS last, 1 AS side
        FROM events
        WHERE customer_key IN {keys:Array(String)} AND type != 'identity_unlink'
        GROUP BY key
        UNION ALL
        SELECT customer_key AS key, min(first_seen) AS first, max(last_seen) AS last, -1 AS side
        FROM report_keys
        WHERE customer_key IN {keys:Array(String)} GROUP BY key
      ) GROUP BY key, first, last HAVING sum(side) != 0`,
  },
];
