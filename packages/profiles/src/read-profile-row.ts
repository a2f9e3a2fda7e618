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
import type { StoredRow } from './stored-row.js';
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

type Job = 'r' | 'v' | 'k';

/** The runs whose results a profile shows ('' where the job has none). */
interface ResultRuns {
  rfmRun: string;
  clvRun: string;
  clustersRun: string;
}

const RUN_OF: Record<Job, keyof ResultRuns> = { r: 'rfmRun', v: 'clvRun', k: 'clustersRun' };

/** Each job's result part of a row, checked; null where the job has no run or no result. */
function resultsOf(parts: Record<Job, Record<string, unknown> | undefined>) {
  return {
    rfm: parts.r === undefined ? null : rfmRowSchema.parse(parts.r),
    clv: parts.v === undefined ? null : clvRowSchema.parse(parts.v),
    cluster: parts.k === undefined ? null : clusterRowSchema.parse(parts.k),
  };
}

/**
 * One profile's row: its fields merged over its keys, from the projections and the given job
 * runs, or from the log as of a time. The parts are read side by side; only the activity waits
 * for the keys.
 */
export async function readProfileRow(
  store: Store,
  input: ResultRuns & {
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
  },
): Promise<ProfileRow | undefined> {
  const { keys, ...rest } = input;
  const params = { ...rest, lapsedMs: lapsedMs(input.lapsedAfterDays) };
  const current = input.asOf === undefined;
  const one = (sql: string, extra: Record<string, unknown> = {}) =>
    store.query<Record<string, unknown>>(sql, { ...params, ...extra }).then(([row]) => row);
  // A job with no run has no result to read; a visitor no traits; as of a time, no job results.
  const result = (job: Job) =>
    current && input[RUN_OF[job]] !== '' ? one(CURRENT.results[job]) : undefined;
  const [activity, traits, r, v, k] = await Promise.all([
    keys.then((resolved) => one(current ? CURRENT.activity : AS_OF.activity, { keys: resolved })),
    input.customerId === '' ? { traits: {} } : one(current ? CURRENT.traits : AS_OF.traits),
    result('r'),
    result('v'),
    result('k'),
  ]);
  if (activity === undefined) return undefined;
  return {
    activity: activityRowSchema.parse(withTimesInMs(activity)),
    traits: traitsRowSchema.parse(traits ?? { traits: {} }).traits,
    ...resultsOf({ r, v, k }),
  };
}

/**
 * A profile's row from its stored row (see ProfileRows): each job's result comes from the
 * stored row when it holds the given run's, else it is read.
 */
export async function profileRowOfStored(
  store: Store,
  stored: StoredRow,
  input: ResultRuns & { profileKey: string; customerId: string },
): Promise<ProfileRow> {
  const held: Record<Job, string> = {
    r: stored.runs.rfm,
    v: stored.runs.clv,
    k: stored.runs.clusters,
  };
  const result = async (job: Job) => {
    const runId = input[RUN_OF[job]];
    if (runId === '') return undefined;
    if (runId === held[job]) return stored.columns;
    const [row] = await store.query<Record<string, unknown>>(CURRENT.results[job], { ...input });
    return row;
  };
  const [r, v, k] = await Promise.all([result('r'), result('v'), result('k')]);
  return {
    activity: activityRowSchema.parse(withTimesInMs(stored.columns)),
    traits: traitsRowSchema.parse({ traits: stored.traits }).traits,
    ...resultsOf({ r, v, k }),
  };
}
