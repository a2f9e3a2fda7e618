import { featuresSelectSql } from './features-sql.js';

/**
 * The profile keys a compiled rule matches.
 * - `{ runId }`: the rows of a stored features run; bind `featuresRun` to that run id.
 * - `'live'`: features computed in the query itself; bind the features parameters
 *   (see FeaturesParams) along with the rule's.
 */
export function matchingProfilesSql(where: string, source: { runId: string } | 'live'): string {
  if (source === 'live') {
    return `SELECT profile_key FROM (${featuresSelectSql()}) WHERE (${where})`;
  }
  return `SELECT profile_key FROM profile_features WHERE run_id = {featuresRun:String} AND (${where})`;
}
