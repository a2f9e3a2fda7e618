import type { Store } from '@rapport/store';
import {
  activityRowSchema,
  clusterRowSchema,
  clvRowSchema,
  rfmRowSchema,
  TIME_COLUMNS,
  traitsRowSchema,
  type ProfileRow,
} from './profile-row.js';
import { lapsedMs, oneProfileSql } from './profile-sql.js';

const CURRENT = oneProfileSql('projections');
const AS_OF = oneProfileSql('log');

/**
 * A DateTime64 as the store writes it in JSON (`2024-05-01 12:00:00.000`, UTC) in epoch ms.
 * Converting here rather than in SQL keeps the query the engine has to analyse small.
 */
function epochMsOf(value: unknown): unknown {
  return typeof value === 'string' ? Date.parse(`${value.replace(' ', 'T')}Z`) : value;
}

function withTimesInMs(row: Record<string, unknown>): Record<string, unknown> {
  const converted = { ...row };
  for (const column of TIME_COLUMNS) converted[column] = epochMsOf(row[column]);
  return converted;
}

/**
 * One profile's row: its fields merged over its keys, from the projections and the given job
 * runs, or from the log as of a time. The parts are read side by side; only the activity waits
 * for the keys.
 */
export async function readProfileRow(
  store: Store,
  input: {
    profileKey: string;
    /** '' for a visitor. */
    customerId: string;
    /** Its keys (its own and its anonymous ids'): the activity is read once they are known. */
    keys: Promise<string[]>;
    /** The time the lifecycle stage is taken at (epoch ms). */
    now: number;
    lapsedAfterDays: number;
    /** Read from the event log as of this time (epoch ms). */
    asOf: number | undefined;
    rfmRun: string;
    clvRun: string;
    clustersRun: string;
  },
): Promise<ProfileRow | undefined> {
  const { keys, ...rest } = input;
  const params = { ...rest, lapsedMs: lapsedMs(input.lapsedAfterDays) };
  const current = input.asOf === undefined;
  const one = (sql: string, extra: Record<string, unknown> = {}) =>
    store.query<Record<string, unknown>>(sql, { ...params, ...extra }).then(([row]) => row);
  // A job with no run has no result to read; a visitor no traits; as of a time, no job results.
  const result = (job: 'r' | 'v' | 'k', runId: string) =>
    current && runId !== '' ? one(CURRENT.results[job]) : undefined;
  const [activity, traits, rfm, clv, clusters] = await Promise.all([
    keys.then((resolved) => one(current ? CURRENT.activity : AS_OF.activity, { keys: resolved })),
    input.customerId === '' ? { traits: {} } : one(current ? CURRENT.traits : AS_OF.traits),
    result('r', input.rfmRun),
    result('v', input.clvRun),
    result('k', input.clustersRun),
  ]);
  if (activity === undefined) return undefined;
  return {
    activity: activityRowSchema.parse(withTimesInMs(activity)),
    traits: traitsRowSchema.parse(traits ?? { traits: {} }).traits,
    rfm: rfm === undefined ? null : rfmRowSchema.parse(rfm),
    clv: clv === undefined ? null : clvRowSchema.parse(clv),
    cluster: clusters === undefined ? null : clusterRowSchema.parse(clusters),
  };
}
