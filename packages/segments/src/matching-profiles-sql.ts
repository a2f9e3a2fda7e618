import { profileRowsSql, scopeBoundOnce } from '@rapport/profiles';
import { cpuPrioritySetting } from '@rapport/store';

/**
 * The profile keys a compiled rule matches.
 * - `snapshot`: the rows of a stored profile snapshot; bind `{featuresRun:String}` to its run.
 * - `live`: profile rows computed in the query itself; bind the profile rows' parameters
 *   (see profileRowsSql) along with the rule's.
 */
export function matchingProfilesSql(
  where: string,
  source: 'snapshot' | 'live',
  options: {
    /**
     * `live` only: of the profiles `{scope_keys:Array(String)}` names; compile the rule with
     * `scoped` too and bind scopeParams. Default false.
     */
    scoped?: boolean;
  } = {},
): string {
  if (source === 'live') {
    if (options.scoped) {
      return scopeBoundOnce(`SELECT profile_key FROM (${profileRowsSql({ scoped: true })})
WHERE profile_key IN {scope_keys:Array(String)} AND (${where})`);
    }
    return `SELECT profile_key FROM (${profileRowsSql()}) WHERE (${where})`;
  }
  return `SELECT profile_key FROM profile_features WHERE run_id = {featuresRun:String} AND (${where})`;
}

/**
 * Streaming evaluation of several rules at once: for each profile `{scope_keys:Array(String)}`
 * names, `v0`, `v1`, … are 1 where the compiled rule (scoped, with distinct parameter
 * prefixes) matches it, else 0 — the predicates matchingProfilesSql puts in its WHERE. Rules
 * compiled with one EventCounts read their event counts from `counts` (its sql()), joined
 * here. The profiles' rows hold only the columns the rules name (profileRowsSql `readBy`).
 */
export function profileVerdictsSql(
  wheres: readonly string[],
  counts?: string,
  options: {
    /**
     * On one thread (`max_threads = 1`): a streaming evaluation of the profiles a few batches
     * touched, so that it leaves ingest the other cores. At a million people on two cores
     * under a saturating load, ingest kept 0.73-0.75 of its rate at the default rest, against
     * 0.65-0.72 on every core, for a p95 of 0.90 s against 0.85 (benchmarks/README.md,
     * nineteenth round). A reconcile's tens of thousands of profiles take every core.
     */
    oneThread?: boolean;
    /** The nice value its threads run at (cpuPrioritySetting; 0-19); default 0. */
    nice?: number;
  } = {},
): string {
  const settings = [
    'join_use_nulls = 0',
    ...(options.oneThread === true ? ['max_threads = 1'] : []),
    cpuPrioritySetting(options.nice ?? 0),
  ].filter((setting) => setting !== '');
  const columns = wheres.map((where, i) => `toUInt8(${where}) AS v${i}`).join(',\n       ');
  const joined =
    counts === undefined
      ? ''
      : `\nLEFT JOIN (${counts}) AS rapport_e ON rapport_e.rapport_key = rapport_p.profile_key`;
  // join_use_nulls = 0: a profile without a counted event counts 0 of each, never NULL.
  return scopeBoundOnce(`SELECT rapport_p.profile_key AS profile_key, ${columns}
FROM (${profileRowsSql({ scoped: true, readBy: wheres.join('\n') })}) AS rapport_p${joined}
WHERE rapport_p.profile_key IN {scope_keys:Array(String)}
SETTINGS ${settings.join(', ')}`);
}
