import { createHash } from 'node:crypto';
import { ownersSql } from './identity.js';
import { PROFILE_FIELDS } from './profile-fields.js';
import { anonymousIdSql, profileKeySql } from './profile-key.js';
import {
  FINGERPRINT,
  jobResultsSql,
  KEY_WEIGHT,
  PROFILE_COLUMNS,
  profileFeaturesInsertSql,
  profileRowsSql,
} from './profile-sql.js';
import { SCOPE, scopeBoundOnce } from './scope-params.js';

/**
 * SQL of a features snapshot taken from the previous one: every profile's fingerprint is read
 * first (`profile_fingerprints`), the rows of the profiles whose fingerprint is the one the
 * previous snapshot stored are copied from it (with the time, the lifecycle stage and the job
 * results taken afresh), and only the others are computed. Parameters: those of a snapshot
 * (see ProfileSnapshotParams), `{featuresVersion:UInt64}` and `{previousRun:String}`.
 */

/** The version of the snapshot's SQL: a snapshot of another version is never copied from. */
export const FEATURES_VERSION = Number.parseInt(
  createHash('sha256').update(profileFeaturesInsertSql()).digest('hex').slice(0, 12),
  16,
);

const FEATURE_COLUMNS = [...PROFILE_COLUMNS, 'fingerprint'].join(', ');

/**
 * Every profile's fingerprint now, under the snapshot's run, its keys merged as profileRowsSql
 * merges them. Owners are read in link order: the same owners as grouping finds (each
 * anonymous id's latest link by time and event id), for less.
 */
export const FINGERPRINTS_INSERT_SQL = `
INSERT INTO profile_fingerprints (run_id, profile_key, fingerprint)
SELECT {runId:String}, p.profile_key, ${FINGERPRINT}
FROM (
    SELECT ${profileKeySql('s.customer_key', 'o.owner')} AS profile_key,
        ${KEY_WEIGHT}
    FROM customer_stats AS s
    LEFT JOIN (${ownersSql({ inOrder: true })}) AS o ON o.anonymous_id = ${anonymousIdSql('s.customer_key')}
    GROUP BY profile_key
) AS p`;

/** The profiles whose fingerprint is not the one the previous snapshot holds (or that are new). */
export const CHANGED_KEYS_SQL = `
SELECT profile_key FROM profile_fingerprints
WHERE run_id = {runId:String}
  AND (profile_key, fingerprint) NOT IN
      (SELECT profile_key, fingerprint FROM profile_features WHERE run_id = {previousRun:String})`;

export const FINGERPRINTED_SQL = `
SELECT count() AS profiles FROM profile_fingerprints WHERE run_id = {runId:String}`;

/** Fields a copied row takes afresh: the lifecycle stage (it reads the time) and job results. */
const retaken = (field: (typeof PROFILE_FIELDS)[number]) =>
  field.jobResult !== undefined || field.sql.includes('{now:Int64}');

/**
 * Copies the rows of the unchanged profiles from the previous snapshot. A copied row's
 * aggregates are its columns of the same names (`p.events`, `p.last_seen`, `p.orders`), which
 * the fields taken afresh read.
 */
export function copyUnchangedSql(): string {
  const jobs = jobResultsSql(false);
  const fields = PROFILE_FIELDS.map((field) =>
    retaken(field)
      ? `    ${field.sql} AS ${field.column}`
      : `    p.${field.column} AS ${field.column}`,
  ).join(',\n');
  return `
INSERT INTO profile_features (${FEATURE_COLUMNS})
SELECT {runId:String} AS run_id, p.profile_key AS profile_key, p.customer_id AS customer_id,
    p.anonymous_id AS anonymous_id, fromUnixTimestamp64Milli({now:Int64}, 'UTC') AS computed_at,
    p.traits AS traits,
${fields},
    p.fingerprint AS fingerprint
FROM (
    SELECT * FROM profile_features
    WHERE run_id = {previousRun:String}
      AND (profile_key, fingerprint) IN
          (SELECT profile_key, fingerprint FROM profile_fingerprints WHERE run_id = {runId:String})
) AS p
LEFT JOIN (${jobs.rfm}) AS r ON r.profile_key = p.profile_key
LEFT JOIN (${jobs.clv}) AS v ON v.profile_key = p.profile_key
LEFT JOIN (${jobs.k}) AS k ON k.profile_key = p.profile_key
SETTINGS join_use_nulls = 0`;
}

/**
 * Computes the rows of the profiles `{scope_keys:Array(String)}` names: the scoped profile
 * rows, with the keys bound once (see scopeBoundOnce), and only theirs kept (a scoped read
 * can return a few profiles sharing their keys). Bound, not read from a subquery: an array a
 * subquery makes was searched element by element wherever rows were filtered by it (the job
 * results of a run: with 10,000 keys the features phase took 118 s at a million profiles;
 * bound, the same keys take 0.6 s).
 */
export function insertChangedSql(): string {
  return `
INSERT INTO profile_features (${FEATURE_COLUMNS})
${scopeBoundOnce(`SELECT * FROM (${profileRowsSql({ scoped: true, fingerprint: true })}) WHERE profile_key IN ${SCOPE.keys}`)}`;
}
