import { HttpError, type QueryGate } from '@rapport/http';
import { lapsedMs, parseProfileKey } from '@rapport/profiles';
import type { LatestRuns } from '@rapport/runs';
import { isoOf, type SegmentRule } from '@rapport/schemas';
import { compileRule, matchingProfilesSql } from '@rapport/segments';
import { StoreError, type Store } from '@rapport/store';

export interface PreviewAnswer {
  count: number;
  sample: { customerId: string | null; anonymousId: string | null }[];
  computedAt: string;
  source: 'snapshot' | 'live';
}

/** What the rule is tested on: the SQL selecting matching profile keys and its parameters. */
interface Source {
  sql: string;
  params: Record<string, unknown>;
  computedAt: number;
  source: PreviewAnswer['source'];
}

/**
 * The profile fields of the latest segments run when they are still stored: the answer then
 * matches what the next evaluation on that snapshot would find, and costs one scan. Otherwise
 * the fields are computed for this answer.
 */
async function sourceFor(input: {
  store: Store;
  latest: LatestRuns;
  rule: SegmentRule;
  lapsedAfterDays: number;
  now: number;
}): Promise<Source> {
  const { store, latest, rule } = input;
  const run = await latest.get('segments');
  if (run) {
    const [features] = await store.query<{ computed_at: number }>(
      `SELECT toUnixTimestamp64Milli(computed_at) AS computed_at
       FROM profile_features WHERE run_id = {runId:String} LIMIT 1`,
      { runId: run.runId },
    );
    if (features) {
      const computedAt = Number(features.computed_at);
      // Times relative to "now" are measured from when the snapshot was taken.
      const compiled = compileRule(rule, { now: computedAt });
      return {
        sql: matchingProfilesSql(compiled.where, 'snapshot'),
        params: { ...compiled.params, featuresRun: run.runId },
        computedAt,
        source: 'snapshot',
      };
    }
  }
  const [rfmRun, clvRun, clustersRun] = await Promise.all(
    ['rfm', 'clv', 'clusters'].map((job) => latest.idOf(job)),
  );
  const compiled = compileRule(rule, { now: input.now });
  return {
    sql: matchingProfilesSql(compiled.where, 'live'),
    params: {
      ...compiled.params,
      runId: '',
      now: input.now,
      lapsedMs: lapsedMs(input.lapsedAfterDays),
      rfmRun,
      clvRun,
      clustersRun,
    },
    computedAt: input.now,
    source: 'live',
  };
}

/** How many profiles a rule matches now, and the first few by profile key. */
export async function previewRule(input: {
  store: Store;
  latest: LatestRuns;
  rule: SegmentRule;
  sample: number;
  lapsedAfterDays: number;
  now: number;
  /** Admits the preview among the heavy queries and caps what it may take. */
  gate?: QueryGate | undefined;
}): Promise<PreviewAnswer> {
  const source = await sourceFor(input);
  const { gate } = input;
  let row: { members: number; sample: string[] } | undefined;
  try {
    // One pass: the count and the smallest keys together, so live fields are computed once.
    const count = () =>
      input.store.query<{ members: number; sample: string[] }>(
        `SELECT count() AS members, groupArraySorted({sampleSize:UInt32})(profile_key) AS sample
         FROM (${source.sql})
         SETTINGS max_execution_time = 60${gate ? `, ${gate.settings}` : ''}`,
        { ...source.params, sampleSize: Math.max(1, input.sample) },
        gate ? 'heavy' : 'read',
      );
    [row] = gate ? await gate.run(count) : await count();
  } catch (error) {
    if (error instanceof StoreError && error.code === 'timeout') {
      throw new HttpError(
        503,
        'the preview took longer than 60 s; narrow the rule, or preview again after the ' +
          'segments job has run (previews on its snapshot are faster)',
      );
    }
    throw error;
  }
  return {
    count: Number(row?.members ?? 0),
    sample: (row?.sample ?? []).slice(0, input.sample).map(parseProfileKey),
    computedAt: isoOf(source.computedAt),
    source: source.source,
  };
}
