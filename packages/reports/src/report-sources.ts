import { anonymousIdSql, ownersSql, profileKeySql } from '@rapport/profiles';
import { DAY_MS, FROM, TO, type ReportRange } from './report-range.js';

/** What the customer does on a visit; email deliveries, identifies and refunds are not visits. */
export const VISIT_TYPES = ['page_view', 'click', 'search', 'purchase', 'interaction', 'track'];

/**
 * Whether the rollups (migration 0017) hold the period exactly: they count per UTC day, so
 * both bounds must fall on midnight. Otherwise the same rows are made from the event log, one
 * per event, and every report gives the same figures, only more slowly.
 */
export const onWholeDays = (range: ReportRange) =>
  range.from % DAY_MS === 0 && range.to % DAY_MS === 0;

const VISIT = `type IN (${VISIT_TYPES.map((type) => `'${type}'`).join(', ')})`;
/** Sorts like (timestamp, event_id) once event_id follows: see report_daily.first_event. */
const ORDER = `concat(leftPad(toString(toUnixTimestamp64Milli(timestamp) + 10000000000000), 14, '0'), event_id)`;

/** report_daily's columns, one row per event (amounts as the view sums them). */
const DAILY_FROM_EVENTS = `(
    SELECT toDate(timestamp) AS day, channel, customer_key, toUInt64(1) AS events,
        toUInt64(${VISIT}) AS visits, toUInt64(type = 'purchase') AS orders,
        if(type = 'purchase', toDecimal128(amount, 4), toDecimal128(0, 4)) AS revenue,
        if(type = 'purchase', toNullable(timestamp), NULL) AS first_order_at,
        timestamp AS first_seen, timestamp AS last_seen,
        concat(${ORDER}, '\\t', toString(channel), '\\t', base64Encode(tag.1), '\\t',
            base64Encode(tag.2)) AS first_event,
        if(${VISIT} AND (tag.1 != '' OR tag.2 != '' OR tag.3 != ''),
            toNullable(concat(${ORDER}, '\\t', base64Encode(tag.1), '\\t', base64Encode(tag.2),
                '\\t', base64Encode(tag.3))),
            NULL) AS first_tag
    FROM (
        SELECT timestamp, event_id, type, channel, customer_key, amount,
            if(position(context, 'campaign') > 0,
                (JSONExtractString(context, 'campaign', 'source'),
                 JSONExtractString(context, 'campaign', 'medium'),
                 JSONExtractString(context, 'campaign', 'name')),
                ('', '', '')) AS tag
        FROM events
        WHERE type != 'identity_unlink'
    ))`;

/**
 * SQL: the anonymous ids of the rows `where` picks from `source` (as `alias`), a parenthesized
 * subquery (the right side of ownersSql's IN). Owners are looked up for these only
 * (identity_links is ordered by anonymous id): the full owner table costs about as much as a
 * report's own reading at 100,000 people.
 */
const ownedWithin = (source: string, alias: string, where: string) => `(
    SELECT substring(${alias}.customer_key, 3) FROM ${source} AS ${alias}
    WHERE startsWith(${alias}.customer_key, 'a:') AND ${where})`;

/**
 * SQL conditions on daily rows (alias `d`): the row lies in [`{from:Int64}`, `{to:Int64}`), or
 * before `to`. Exact on rollup rows of whole-day periods and on per-event rows alike; the `day`
 * bounds let the rollup skip other days.
 */
const IN_PERIOD = `d.day >= toDate(${FROM}) AND d.day <= toDate(${TO})
    AND d.first_seen >= ${FROM} AND d.last_seen < ${TO}`;

/**
 * SQL: IN_PERIOD for `range`. On whole days the rollup's rows lie in the period exactly when
 * their day does, so their first and last activity are not read (at a million people over a
 * year, a tenth of reading the keys' days).
 */
export const inPeriod = (range: ReportRange) =>
  onWholeDays(range) ? `d.day >= toDate(${FROM}) AND d.day < toDate(${TO})` : IN_PERIOD;
export const BEFORE_TO = `d.day <= toDate(${TO}) AND d.last_seen < ${TO}`;

/**
 * SQL: a customer key's activity per day and channel (report_daily's columns, aggregated
 * only in part: read them with sum, min and max), each row with the profile it belongs to now
 * (`profile`: `c:<customerId>`, an anonymous id's owner merged in, or `a:<anonymousId>` for a visitor no one owns, the same merge the profile API makes). `where`
 * filters the rows (alias `d`).
 */
export function profiledDailySql(range: ReportRange, where: string, few = false): string {
  const source = onWholeDays(range) ? 'report_daily' : DAILY_FROM_EVENTS;
  return `
    SELECT ${profileKeySql('d.customer_key', 'o.owner')} AS profile,
        d.customer_key AS customer_key, d.day AS day, d.channel AS channel, d.events AS events,
        d.visits AS visits, d.orders AS orders, d.revenue AS revenue,
        d.first_order_at AS first_order_at, d.first_seen AS first_seen, d.last_seen AS last_seen,
        d.first_event AS first_event, d.first_tag AS first_tag
    FROM ${source} AS d
    LEFT JOIN (${ownersOf(range, source, where, few)}) AS o
        ON o.anonymous_id = ${anonymousIdSql('d.customer_key')}
    WHERE ${where}`;
}

/** SQL: report_daily for whole-day periods, else the same columns from the log, per event. */
export const dailySourceSql = (range: ReportRange) =>
  onWholeDays(range) ? 'report_daily' : DAILY_FROM_EVENTS;

/** Periods longer than this read the whole owner table rather than look up the ids they hold. */
const OWNER_TABLE_AFTER_MS = 62 * DAY_MS;

/**
 * The setting a query reading the whole owner table (ownersSql's `inOrder`) ends with: the
 * engine then sorts the link rows, on every core, rather than reading the table backwards in
 * its order, on one core merging its parts, while the rest of the query waits for the owners.
 * The same owners; at a million people the owner table took 0.14-0.18 s of CPU against
 * 0.24-0.37. Nothing else in those queries is read in a table's order (FINAL merges in key
 * order whatever the setting).
 */
export const OWNERS_SORTED = 'optimize_read_in_order = 0';

/**
 * SQL: the owners of the anonymous ids among the rows `where` picks from `source` (alias `d`)
 * when the period is short; over a long one most anonymous ids are among them and the whole
 * owner table is cheaper (at a million people: 0.15 s, against 0.6 s to find a year's
 * anonymous ids first), each id's latest link kept (see OWNERS_SORTED). `few`: the rows are
 * few whatever the period (those with orders, say), so their owners are looked up.
 */
const ownersOf = (range: ReportRange, source: string, where: string, few = false) =>
  !few && range.to - range.from > OWNER_TABLE_AFTER_MS
    ? ownersSql({ inOrder: true })
    : ownersSql({ within: ownedWithin(source, 'd', where) });

/**
 * SQL: `keyed` (rows with a `customer_key` column, one per key, alias `k`) with the profile
 * each key belongs to now (`profile`) and `columns`; owners as ownersOf finds them for the
 * rows `where` picks from `source` (alias `d`).
 */
export function profiledKeysSql(
  range: ReportRange,
  keyed: string,
  columns: string,
  source: string,
  where: string,
): string {
  return `
    SELECT ${profileKeySql('k.customer_key', 'o.owner')} AS profile, ${columns}
    FROM (${keyed}) AS k
    LEFT JOIN (${ownersOf(range, source, where)}) AS o ON o.anonymous_id = ${anonymousIdSql('k.customer_key')}`;
}

/**
 * SQL: events and amounts per day, type and channel in [`{from:Int64}`, `{to:Int64}`), read
 * with sum(): from report_types for whole days, else from the log.
 */
export function totalsSql(range: ReportRange): string {
  return onWholeDays(range)
    ? `SELECT day, type, channel, events, amount FROM report_types
        WHERE day >= toDate(${FROM}) AND day < toDate(${TO})`
    : `SELECT toDate(timestamp) AS day, type, channel, toUInt64(1) AS events,
            toDecimal128(amount, 4) AS amount
        FROM events
        WHERE type != 'identity_unlink' AND timestamp >= ${FROM} AND timestamp < ${TO}`;
}

/**
 * SQL: email events (campaign, action) and purchases (amount), one row each, with the profile
 * each belongs to now. `where` filters report_touches (alias `t`). A customer key is its own
 * profile: only the anonymous keys' rows are joined with their owners (at a million people the
 * join over a year's email rows cost a fifth of the campaigns' funnels).
 */
export function profiledTouchesSql(where: string): string {
  const columns = `t.type AS type, t.action AS action, t.campaign AS campaign,
        t.timestamp AS timestamp, t.amount AS amount`;
  return `
    SELECT t.customer_key AS profile, ${columns}
    FROM report_touches AS t
    WHERE NOT startsWith(t.customer_key, 'a:') AND (${where})
    UNION ALL
    SELECT ${profileKeySql('t.customer_key', 'o.owner')} AS profile, ${columns}
    FROM report_touches AS t
    LEFT JOIN (${ownersSql({ within: ownedWithin('report_touches', 't', where) })}) AS o
        ON o.anonymous_id = ${anonymousIdSql('t.customer_key')}
    WHERE startsWith(t.customer_key, 'a:') AND (${where})`;
}

/** SQL: the parts of a first_event or first_tag value: [order, …fields], tags base64. */
export const partsOf = (column: string) => `splitByChar('\\t', ${column})`;

/**
 * SQL: a 128-bit hash of a profile key (`column`), for counting distinct profiles with
 * uniqExact: it counts a string by its SipHash-128, and takes this number as it is, with the
 * same odds of two profiles sharing one (none in practice), for much less work (see
 * HASH_PARTS).
 */
export const profileHashSql = (column: string) =>
  `reinterpretAsUInt128(murmurHash3_128(${column}))`;

/**
 * SQL: the part (0-7) of a profileHashSql value, from its top bits. Distinct profiles counted
 * per part and summed are counted exactly once each, and eight small sets are filled and
 * merged faster than one large one: at a million people over 2024, the campaigns' funnels
 * took 1.2-1.3 s of CPU this way against 1.8-2.1 in parts by strings and 2.2-2.4 in one set
 * of strings per step.
 */
export const hashPartSql = (hash: string) => `bitShiftRight(${hash}, 125)`;
