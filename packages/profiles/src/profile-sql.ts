import { ownersSql } from './identity.js';
import { PROFILE_FIELDS, type ProfileField } from './profile-fields.js';
import { anonymousIdSql, profileKeySql } from './profile-key.js';
import { SCOPE } from './scope-params.js';

/**
 * SQL of profile rows: every field of PROFILE_FIELDS over the merged aggregates of a profile.
 *
 * Two kinds of read share it:
 * - `all`: every profile, one row each (the segments and clusters snapshots, live previews);
 *   anonymous keys owned by a customer merge into the customer's `c:` profile.
 * - `one`: one profile whose keys the caller resolved (`{profileKey:String}`,
 *   `{keys:Array(String)}`, `{customerId:String}`, '' for a visitor), with the columns only
 *   the profile API shows.
 *
 * and two sources of aggregates:
 * - `projections`: the streaming projections (`customer_stats`, `customer_traits`) and the
 *   results of the latest job runs;
 * - `log`: the event log up to `{asOf:Int64}` (a profile as it stood then; no job results).
 *
 * Every parameter is bound: `{runId:String}` (the snapshot run, '' for a read), `{now:Int64}`
 * and `{lapsedMs:Int64}` (the lifecycle stage), `{rfmRun}`, `{clvRun}`, `{clustersRun}`
 * (String, the runs whose results are joined, '' for none).
 */
export interface ProfileRowsSqlOptions {
  scope: 'all' | 'one';
  source: 'projections' | 'log';
  /**
   * `all` only: just the profiles `{scope_keys:Array(String)}` names (profile keys), read by
   * customer key (streaming segment evaluation of the profiles a batch touched); bind
   * scopeParams.
   */
  scoped?: boolean;
  /** `all` only: also what only the profile API shows (for `profile_rows`). */
  extras?: boolean;
  /** `all` only: also `key_weight` (see KEY_WEIGHT). */
  fingerprint?: boolean;
}

/**
 * What `p` holds: the aggregates of a profile, from the projections; with `fingerprint`, also
 * `key_weight`: each of its customer keys' hash times the key's events, summed (wrapping at
 * 2^64). It moves whenever the profile gains or loses a key with events, or a key gains events
 * (see profileRowsSql `fingerprint`).
 */
const PROJECTION_AGGREGATES = `
        min(s.first_seen) AS first_seen,
        max(s.last_seen) AS last_seen,
        max(s.last_received) AS last_received,
        sum(s.event_count) AS events,
        uniqExactMerge(s.visit_days) AS visits,
        sumMap(s.events_by_type) AS by_type,
        sumMap(s.events_by_channel) AS by_channel,
        sum(s.orders) AS orders,
        sum(s.refunds) AS refunds,
        sum(s.revenue) AS revenue,
        sum(s.refunded) AS refunded,
        max(s.last_order_at) AS last_order_at,
        sumMap(s.email_actions) AS email,
        sumMap(s.categories) AS cats`;

/** See PROJECTION_AGGREGATES; read for fingerprints only. */
export const KEY_WEIGHT = 'sum(s.event_count * cityHash64(s.customer_key)) AS key_weight';

/** The same aggregates from the event log up to a time; a test holds the two equal. */
const LOG_AGGREGATES = `
        min(timestamp) AS first_seen,
        max(timestamp) AS last_seen,
        max(received_at) AS last_received,
        count() AS events,
        uniqExactIf(toDate(timestamp), type = 'page_view') AS visits,
        sumMap(map(toString(type), toUInt64(1))) AS by_type,
        sumMap(map(toString(channel), toUInt64(1))) AS by_channel,
        countIf(type = 'purchase') AS orders,
        countIf(type = 'refund') AS refunds,
        sumIf(toDecimal128(amount, 4), type = 'purchase') AS revenue,
        sumIf(toDecimal128(amount, 4), type = 'refund') AS refunded,
        maxIf(toNullable(timestamp), type = 'purchase') AS last_order_at,
        sumMapIf(map(JSONExtractString(properties, 'action'), toUInt64(1)), type = 'email') AS email,
        sumMapIf(
            arrayFilter(c -> c != '', arrayMap(i -> JSONExtractString(i, 'category'), JSONExtractArrayRaw(properties, 'items'))) AS item_categories,
            arrayMap(c -> toUInt64(1), item_categories),
            type = 'purchase'
        ) AS cats`;

const AS_OF = "fromUnixTimestamp64Milli({asOf:Int64}, 'UTC')";

export function aggregatesSql(options: ProfileRowsSqlOptions): string {
  const { scope, source, scoped, extras, fingerprint } = options;
  if (source === 'log') {
    if (scope === 'all') throw new Error('profiles from the log are read one at a time');
    return `
    SELECT {profileKey:String} AS profile_key, ${LOG_AGGREGATES},
        argMaxIf((order_id, amount), (timestamp, event_id), type = 'purchase') AS last_order
    FROM events
    WHERE customer_key IN {keys:Array(String)}
      AND type != 'identity_unlink'
      AND timestamp <= ${AS_OF}`;
  }
  if (scope === 'one') {
    return `
    SELECT {profileKey:String} AS profile_key, ${PROJECTION_AGGREGATES},
        argMaxMerge(s.last_order) AS last_order
    FROM customer_stats AS s
    WHERE s.customer_key IN {keys:Array(String)}`;
  }
  const within = scoped ? SCOPE.anonymousIds : undefined;
  return `
    SELECT ${profileKeySql('s.customer_key', 'o.owner')} AS profile_key, ${PROJECTION_AGGREGATES}${
      extras ? ',\n        argMaxMerge(s.last_order) AS last_order' : ''
    }${fingerprint ? `,\n        ${KEY_WEIGHT}` : ''}
    FROM customer_stats AS s
    LEFT JOIN (${ownersSql(within === undefined ? {} : { within })}) AS o ON o.anonymous_id = ${anonymousIdSql('s.customer_key')}
    ${scoped ? `WHERE s.customer_key IN ${SCOPE.customerKeys}` : ''}
    GROUP BY profile_key`;
}

/** Each trait's current value (raw JSON) by customer: from the projection, or the log as of a time. */
function traitValuesSql({ scope, source, scoped }: ProfileRowsSqlOptions): string {
  const where =
    scope === 'one'
      ? 'WHERE customer_id = {customerId:String}'
      : scoped
        ? `WHERE customer_id IN ${SCOPE.customerIds}`
        : '';
  return source === 'log'
    ? `SELECT customer_id, kv.1 AS trait, argMax(kv.2, (timestamp, event_id)) AS value
         FROM events ARRAY JOIN JSONExtractKeysAndValuesRaw(properties, 'traits') AS kv
         WHERE customer_id = {customerId:String} AND type = 'identify' AND timestamp <= ${AS_OF}
         GROUP BY customer_id, trait`
    : `SELECT customer_id, trait, argMaxMerge(value) AS value FROM customer_traits
         ${where}
         GROUP BY customer_id, trait`;
}

/** A JSON `null` unsets a trait. */
const TRAITS_MAP =
  "mapFromArrays(groupArrayIf(trait, value != 'null'), groupArrayIf(value, value != 'null'))";

export function traitsSql(options: ProfileRowsSqlOptions): string {
  return `
    SELECT concat('c:', customer_id) AS profile_key, ${TRAITS_MAP} AS traits
    FROM (${traitValuesSql(options)})
    GROUP BY customer_id`;
}

/** The latest job results of every profile, to join. */
export function jobResultsSql(scoped: boolean): { rfm: string; clv: string; k: string } {
  const only = (key: string, scope: string) => (scoped ? ` AND ${key} IN ${scope}` : '');
  return {
    rfm: `
    SELECT concat('c:', customer_id) AS profile_key, 1 AS scored, recency_days, frequency, monetary,
           r, f, m, score, segment, as_of
    FROM rfm_scores WHERE run_id = {rfmRun:String}${only('customer_id', SCOPE.customerIds)}`,
    clv: `
    SELECT concat('c:', customer_id) AS profile_key, 1 AS scored, clv, p_alive, expected_orders,
           expected_value, as_of, orders, x, t_x, T, mean_value, expected_order_value
    FROM clv_scores WHERE run_id = {clvRun:String}${only('customer_id', SCOPE.customerIds)}`,
    k: `
    SELECT a.profile_key AS profile_key, 1 AS assigned, a.cluster AS cluster, c.label AS label
    FROM (SELECT profile_key, cluster FROM cluster_assignments
          WHERE run_id = {clustersRun:String}${only('profile_key', SCOPE.keys)}) AS a
    LEFT JOIN (SELECT cluster, label FROM cluster_centroids WHERE run_id = {clustersRun:String}) AS c
        ON c.cluster = a.cluster`,
  };
}

const RFM_COLUMNS = ['recency_days', 'frequency', 'monetary', 'r', 'f', 'm', 'score', 'segment'];
const CLV_COLUMNS = [
  'clv',
  'p_alive',
  'expected_orders',
  'expected_value',
  'orders',
  'x',
  't_x',
  'T',
  'mean_value',
  'expected_order_value',
];

/**
 * One profile's result of each job, always one row: `scored` / `assigned` is 0 when the job
 * has no result for it. Parameters: `{rfmRun}`, `{clvRun}`, `{clustersRun}`, `{customerId}`,
 * `{profileKey}`.
 */
const ONE_RESULT: Record<'r' | 'v' | 'k', string> = {
  r: `
    SELECT toUInt8(count() > 0) AS scored, ${RFM_COLUMNS.map((c) => `any(s.${c}) AS ${c}`).join(', ')},
           toUnixTimestamp64Milli(any(s.as_of)) AS as_of_ms
    FROM rfm_scores AS s
    WHERE s.run_id = {rfmRun:String} AND s.customer_id = {customerId:String}`,
  v: `
    SELECT toUInt8(count() > 0) AS scored, ${CLV_COLUMNS.map((c) => `any(s.${c}) AS ${c}`).join(', ')},
           toUnixTimestamp64Milli(any(s.as_of)) AS as_of_ms
    FROM clv_scores AS s
    WHERE s.run_id = {clvRun:String} AND s.customer_id = {customerId:String}`,
  k: `
    SELECT toUInt8(count() > 0) AS assigned, any(s.cluster) AS cluster, any(c.label) AS label
    FROM cluster_assignments AS s
    LEFT JOIN (SELECT cluster, label FROM cluster_centroids WHERE run_id = {clustersRun:String}) AS c
        ON c.cluster = s.cluster
    WHERE s.run_id = {clustersRun:String} AND s.profile_key = {profileKey:String}`,
};

/** Columns a profile's activity starts with (not rule fields). */
export const ACTIVITY_KEY_COLUMNS = `
    p.profile_key AS profile_key,
    if(startsWith(p.profile_key, 'c:'), substring(p.profile_key, 3), '') AS customer_id,
    if(startsWith(p.profile_key, 'a:'), substring(p.profile_key, 3), '') AS anonymous_id`;

/** Columns every snapshot row starts with (not rule fields). */
const KEY_COLUMNS = `
    {runId:String} AS run_id,${ACTIVITY_KEY_COLUMNS},
    fromUnixTimestamp64Milli({now:Int64}, 'UTC') AS computed_at,
    t.traits AS traits`;

/** The columns of `profile_features`, in the order the select writes them. */
export const PROFILE_COLUMNS: readonly string[] = [
  'run_id',
  'profile_key',
  'customer_id',
  'anonymous_id',
  'computed_at',
  'traits',
  ...PROFILE_FIELDS.map((field) => field.column),
];

/** Activity columns only the profile API shows. */
export const ACTIVITY_EXTRAS = `
    toUnixTimestamp64Milli(p.last_received) AS last_received_ms,
    p.by_type AS by_type,
    p.by_channel AS by_channel,
    p.last_order.1 AS last_order_id,
    toFloat64(round(p.last_order.2, 2)) AS last_order_value,
    arraySlice(arraySort(x -> (-toInt64(x.2), x.1),
        arrayFilter(x -> x.2 > 0 AND x.1 != '', arrayZip(p.cats.1, p.cats.2))), 1, 5) AS top_categories`;

/** Job-result columns only the profile API shows, by job. */
const RESULT_EXTRAS: Record<'r' | 'v' | 'k', string> = {
  r: 'r.as_of_ms AS rfm_as_of_ms',
  v: `${['as_of_ms', 'orders', 'x', 't_x', 'T', 'mean_value', 'expected_order_value'].map((c) => `v.${c} AS clv_${c}`).join(', ')}`,
  k: 'k.label AS cluster_label',
};

export const select = (fields: readonly ProfileField[]) =>
  fields.map((field) => `    ${field.sql} AS ${field.column}`).join(',\n');

/**
 * One profile as small queries the store answers side by side: for a read this size the
 * engine's cost is analysing the query, and a few small queries on the read connections cost
 * less than one that joins or nests them (measured: half as long).
 * - `activity`: the key columns and every field of activity over the aggregates `p`, from the
 *   projections or from the log as of `{asOf:Int64}`;
 * - `traits`: the current traits (raw JSON by name);
 * - `r`, `v`, `k`: the fields of the latest rfm, clv and clusters results; none as of a time.
 * They bind the parameters of the `one` scope (see ProfileRowsSqlOptions).
 */
export function oneProfileSql(source: ProfileRowsSqlOptions['source']): {
  activity: string;
  traits: string;
  results: Record<'r' | 'v' | 'k', string>;
} {
  const options = { scope: 'one', source } as const;
  const results = (job: 'r' | 'v' | 'k') => `
SELECT ${select(PROFILE_FIELDS.filter((field) => field.jobResult === job))}, ${RESULT_EXTRAS[job]}
FROM (${ONE_RESULT[job]}) AS ${job}`;
  return {
    activity: `
SELECT ${ACTIVITY_KEY_COLUMNS},
${select(PROFILE_FIELDS.filter((field) => field.jobResult === undefined))},${ACTIVITY_EXTRAS}
FROM (${aggregatesSql(options)}) AS p`,
    traits: `SELECT ${TRAITS_MAP} AS traits FROM (${traitValuesSql(options)})`,
    results: { r: results('r'), v: results('v'), k: results('k') },
  };
}

/** SQL naming `name` unqualified: not `p.name`, not a `{name:Type}` placeholder. */
const namingPattern = (name: string) => new RegExp(`(?<![\\w.{:])${name}\\b`);
/** Each field with its pattern, last first (see fieldsNamedIn), made once. */
const FIELD_PATTERNS = [...PROFILE_FIELDS]
  .reverse()
  .map((field) => ({ field, pattern: namingPattern(field.column) }));
const TRAITS_PATTERN = namingPattern('traits');

/**
 * The profile fields whose columns `sql` names (a compiled rule, say), with the fields their
 * SQL names in turn, in PROFILE_FIELDS order; and whether it names `traits`.
 */
function fieldsNamedIn(sql: string): { fields: ProfileField[]; traits: boolean } {
  const wanted = new Set<string>();
  let text = sql;
  // A field names only fields before it: from the last, each one wanted adds what it names.
  for (const { field, pattern } of FIELD_PATTERNS) {
    if (!pattern.test(text)) continue;
    wanted.add(field.column);
    text += `\n${field.sql}`;
  }
  return {
    fields: PROFILE_FIELDS.filter((field) => wanted.has(field.column)),
    traits: TRAITS_PATTERN.test(sql),
  };
}

/**
 * Every profile field of every profile, one row per profile; with `scoped`, of the profiles
 * `{scope_keys:Array(String)}` names (and possibly a few more whose rows share their keys).
 */
export function profileRowsSql(
  options_: {
    scoped?: boolean;
    /**
     * Also `fingerprint`: the profile's key weight and `{featuresVersion:UInt64}` (the version
     * of this SQL) hashed together. Events are only ever added and an erasure removes every
     * key of a customer, so a profile whose fingerprint is unchanged has the same keys and
     * events, and so the same row but for the time and the job results.
     */
    fingerprint?: boolean;
    /**
     * Only the columns this SQL reads (the rules a statement evaluates), besides the key
     * columns: the fields it names and those they are computed from, traits and each job's
     * results joined only when named. Each column that is there is computed as in the whole
     * row; the engine's analysis of a statement grows with the columns it is given, read or not.
     */
    readBy?: string;
  } = {},
): string {
  const options = {
    scope: 'all',
    source: 'projections',
    scoped: options_.scoped === true,
    fingerprint: options_.fingerprint === true,
  } as const;
  const jobs = jobResultsSql(options.scoped);
  const { readBy } = options_;
  const cut = readBy !== undefined;
  const { fields, traits } =
    readBy === undefined ? { fields: PROFILE_FIELDS, traits: true } : fieldsNamedIn(readBy);
  const joined = (job: 'r' | 'v' | 'k') => fields.some((field) => field.jobResult === job);
  const columns = [
    cut ? ACTIVITY_KEY_COLUMNS : KEY_COLUMNS,
    ...(cut && traits ? ['\n    t.traits AS traits'] : []),
    ...(fields.length > 0 ? [`\n${select(fields)}`] : []),
    ...(options_.fingerprint ? [`\n    ${FINGERPRINT} AS fingerprint`] : []),
  ];
  return `
SELECT ${columns.join(',')}
FROM (${aggregatesSql(options)}) AS p${
    traits ? `\nLEFT JOIN (${traitsSql(options)}) AS t ON t.profile_key = p.profile_key` : ''
  }${joined('r') ? `\nLEFT JOIN (${jobs.rfm}) AS r ON r.profile_key = p.profile_key` : ''}${
    joined('v') ? `\nLEFT JOIN (${jobs.clv}) AS v ON v.profile_key = p.profile_key` : ''
  }${joined('k') ? `\nLEFT JOIN (${jobs.k}) AS k ON k.profile_key = p.profile_key` : ''}
SETTINGS join_use_nulls = 0`;
}

/** A profile's fingerprint over its aggregates `p` (see profileRowsSql). */
export const FINGERPRINT = 'cityHash64(p.key_weight, {featuresVersion:UInt64})';

/** Writes one run's snapshot of every profile into `profile_features`, with fingerprints. */
export function profileFeaturesInsertSql(): string {
  return `INSERT INTO profile_features (${[...PROFILE_COLUMNS, 'fingerprint'].join(', ')})
${profileRowsSql({ fingerprint: true })}`;
}

const DAY_MS = 86_400_000;

/** The lapse threshold as the profile SQL takes it (`{lapsedMs:Int64}`). */
export function lapsedMs(lapsedAfterDays: number): number {
  return lapsedAfterDays * DAY_MS;
}
