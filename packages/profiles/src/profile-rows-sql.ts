import { LOWEST_NICE, cpuPrioritySetting } from '@rapport/store';
import { ownersSql } from './identity.js';
import { PROFILE_FIELDS } from './profile-fields.js';
import {
  ACTIVITY_EXTRAS,
  ACTIVITY_KEY_COLUMNS,
  aggregatesSql,
  jobResultsSql,
  select,
  traitsSql,
} from './profile-sql.js';
import { SCOPE, scopeBoundOnce } from './scope-params.js';

/**
 * SQL of `profile_rows` (migration 0013): one current row per profile, written with the field
 * SQL of the segments snapshot as one JSON payload, read by key and checked against the
 * profile's current aggregates before it is served.
 */

/** Fields that depend on the time of the read (the lifecycle stage): computed when read. */
const AT_READ = PROFILE_FIELDS.filter((field) => field.sql.includes('{now:Int64}'));
const STORED = PROFILE_FIELDS.filter((field) => !AT_READ.includes(field));

/** Job-result columns only the profile API shows, from the joined results `r`, `v`, `k`. */
const RESULT_EXTRAS = `
    toUnixTimestamp64Milli(r.as_of) AS rfm_as_of_ms,
    toUnixTimestamp64Milli(v.as_of) AS clv_as_of_ms,
    v.orders AS clv_orders, v.x AS clv_x, v.t_x AS clv_t_x, v.T AS clv_T,
    v.mean_value AS clv_mean_value, v.expected_order_value AS clv_expected_order_value,
    k.label AS cluster_label`;

/** Most anonymous ids a row lists, as a profile read does. */
export const MAX_ANONYMOUS_IDS = 10_000;

/**
 * Rows of every profile, or with `scoped` of the profiles `{scope_keys:Array(String)}` names
 * (profile keys whose owners the caller resolved; bind scopeParams), stamped `{version:UInt64}` and with the
 * results of `{rfmRun}`, `{clvRun}` and `{clustersRun}` ('' for none); every profile but
 * `{excluded_keys:Array(String)}` when not scoped. The payload holds what
 * the profile read shows, `links`: the length of the link history of its anonymous ids, and
 * `customer_links`: how many link rows name its customer, as the anonymous ids were read
 * (scoped, the caller's read, `{scope_link_rows}`: a link stored since is in no list of the row,
 * and a check at a read sees the row behind). Scoped (the rewrite of the rows batches touched),
 * it runs at the lowest CPU priority: rows are a cache, and ingest and streaming evaluation
 * come first (at the default, a rewrite that took both cores every few seconds held back the
 * evaluations beside it: benchmarks/README.md, real-time segments, twenty-second round).
 */
export function profileRowsWriteSql(options: { scoped: boolean }): string {
  const { scoped } = options;
  const sqlOptions = { scope: 'all', source: 'projections', scoped, extras: true } as const;
  const jobs = jobResultsSql(scoped);
  const within = scoped ? SCOPE.anonymousIds : undefined;
  const owned = `
    SELECT concat('c:', owner) AS profile_key,
           arraySlice(arraySort(groupArray(anonymous_id)), 1, ${MAX_ANONYMOUS_IDS}) AS ids,
           sum(links) AS links
    FROM (${ownersSql({ counted: true, ...(within === undefined ? {} : { within }) })})
    GROUP BY owner`;
  const customerLinks = scoped
    ? `
    SELECT concat('c:', pair.1) AS profile_key, pair.2 AS n
    FROM (SELECT arrayJoin(arrayZip(${SCOPE.customerIds}, ${SCOPE.linkRows})) AS pair)`
    : `
    SELECT concat('c:', customer_id) AS profile_key, count() AS n
    FROM identity_links
    GROUP BY customer_id`;
  const rows = `
SELECT profile_key, customer_id, events, orders, last_seen, formatRowNoNewline('JSONEachRow', *),
       {version:UInt64}, 0
FROM (
SELECT ${ACTIVITY_KEY_COLUMNS},
    t.traits AS traits,
    a.ids AS anonymous_ids,
    a.links AS links,
    l.n AS customer_links,
${select(STORED)},${ACTIVITY_EXTRAS},${RESULT_EXTRAS},
    {rfmRun:String} AS rfm_run,
    {clvRun:String} AS clv_run,
    {clustersRun:String} AS clusters_run
FROM (${aggregatesSql(sqlOptions)}) AS p
LEFT JOIN (${traitsSql(sqlOptions)}) AS t ON t.profile_key = p.profile_key
LEFT JOIN (${jobs.rfm}) AS r ON r.profile_key = p.profile_key
LEFT JOIN (${jobs.clv}) AS v ON v.profile_key = p.profile_key
LEFT JOIN (${jobs.k}) AS k ON k.profile_key = p.profile_key
LEFT JOIN (${owned}) AS a ON a.profile_key = p.profile_key
LEFT JOIN (${customerLinks}) AS l ON l.profile_key = p.profile_key
WHERE ${scoped ? `p.profile_key IN ${SCOPE.keys}` : 'p.profile_key NOT IN {excluded_keys:Array(String)}'}
SETTINGS join_use_nulls = 0)${scoped ? `\nSETTINGS ${cpuPrioritySetting(LOWEST_NICE)}` : ''}`;
  return `
INSERT INTO profile_rows (profile_key, customer_id, events, orders, last_seen, payload, version, deleted)
${scoped ? scopeBoundOnce(rows) : rows}`;
}

/** Marks `{scope_keys:Array(String)}` deleted at `{version:UInt64}` (a newer row replaces it). */
export const PROFILE_ROWS_DELETE_SQL = `
INSERT INTO profile_rows (profile_key, version, deleted)
SELECT arrayJoin({scope_keys:Array(String)}), {version:UInt64}, 1`;

/**
 * One profile's current row, `{profileKey:String}`: its payload and the fields that depend on
 * the time of the read (`{now:Int64}`, `{lapsedMs:Int64}`); no row when it has none.
 */
export const PROFILE_ROW_READ_SQL = `
SELECT payload, ${AT_READ.map((field) => `${field.sql} AS ${field.column}`).join(', ')}
FROM profile_rows AS p FINAL
WHERE p.profile_key = {profileKey:String}`;

/**
 * What a row was computed from, as it is now, in one read: the aggregates of
 * `{keys:Array(String)}` (the profile's keys), the length of the link history of
 * `{ids:Array(String)}` (its anonymous ids) and the link rows naming
 * `{customerIds:Array(String)}` (its customer, none for a visitor), each tagged by `part`.
 */
export const PROFILE_ROW_CHECK_SQL = `
SELECT 'stats' AS part, sum(event_count) AS n, toUnixTimestamp64Milli(max(last_received)) AS last_ms
FROM customer_stats WHERE customer_key IN {keys:Array(String)}
UNION ALL
SELECT 'links' AS part, count() AS n, 0 AS last_ms
FROM identity_links WHERE anonymous_id IN {ids:Array(String)}
UNION ALL
SELECT 'customer_links' AS part, count() AS n, 0 AS last_ms
FROM identity_links WHERE customer_id IN {customerIds:Array(String)}`;

/** Marks deleted, at `{version:UInt64}`, every row older than `{rebuilt:UInt64}` (a rebuild's). */
export const PROFILE_ROWS_STALE_SQL = `
INSERT INTO profile_rows (profile_key, version, deleted)
SELECT profile_key, {version:UInt64}, 1
FROM profile_rows FINAL
WHERE version < {rebuilt:UInt64}`;

/** The at-read fields at the time `{<param>:Int64}`, with a lapse of `{lapsedMs:Int64}`. */
const atReadAt = (param: string) =>
  AT_READ.map(
    (field) =>
      `${field.sql.replaceAll('{now:Int64}', `{${param}:Int64}`)} AS ${param}_${field.column}`,
  ).join(', ');

/**
 * Rows as a local copy keeps them (see row-mirror.ts): the payload, and each at-read field both
 * before and after the profile's lapse, computed here by the same SQL as a read (`{active:Int64}`
 * a time before any activity, `{lapsed:Int64}` one after all, `{lapsedMs:Int64}` 0), with the
 * last activity that separates them. Either `{scope_keys:Array(String)}`, or a page of
 * `{limit:UInt32}` rows in key order after `{after:String}`.
 */
export function profileRowsMirrorSql(options: { scoped: boolean }): string {
  return `
SELECT profile_key, version, payload,
       if(p.events = 0, NULL, toUnixTimestamp64Milli(p.last_seen)) AS last_seen_ms,
       ${atReadAt('active')}, ${atReadAt('lapsed')}
FROM profile_rows AS p FINAL
WHERE ${options.scoped ? 'profile_key IN {scope_keys:Array(String)}' : 'profile_key > {after:String}'}
ORDER BY profile_key
${options.scoped ? '' : 'LIMIT {limit:UInt32}'}`;
}

/** The at-read columns a mirrored row holds, by their name in a read. */
export const AT_READ_COLUMNS = AT_READ.map((field) => field.column);
