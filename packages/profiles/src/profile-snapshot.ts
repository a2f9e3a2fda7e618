import type { RunStore } from '@rapport/runs';
import type { Store } from '@rapport/store';
import { lapsedMs, profileFeaturesInsertSql } from './profile-sql.js';

/** The parameters of a read of every profile: a stored snapshot, or a live one. */
export interface ProfileSnapshotParams {
  /** The run the snapshot rows belong to. */
  runId: string;
  /** Epoch ms: the time "days since" and lifecycle stages are taken at. */
  now: number;
  /** An identified customer silent for longer (ms) is `lapsed`. */
  lapsedMs: number;
  /** The runs whose results are copied in ('' for none). */
  rfmRun: string;
  clvRun: string;
  clustersRun: string;
}

/** Snapshot parameters with the latest successful rfm, clv and clusters runs. */
export async function snapshotParams(
  runs: RunStore,
  input: { runId: string; now: number; lapsedAfterDays: number },
): Promise<ProfileSnapshotParams> {
  const [rfmRun, clvRun, clustersRun] = await Promise.all(
    ['rfm', 'clv', 'clusters'].map(async (job) => (await runs.latestSucceeded(job))?.runId ?? ''),
  );
  return {
    runId: input.runId,
    now: input.now,
    lapsedMs: lapsedMs(input.lapsedAfterDays),
    rfmRun: rfmRun ?? '',
    clvRun: clvRun ?? '',
    clustersRun: clustersRun ?? '',
  };
}

/** Writes a snapshot of every profile into `profile_features`; returns how many profiles. */
export async function writeProfileSnapshot(
  store: Store,
  params: ProfileSnapshotParams,
): Promise<number> {
  await store.command(profileFeaturesInsertSql(), { ...params });
  const [row] = await store.query<{ n: number }>(
    'SELECT count() AS n FROM profile_features WHERE run_id = {runId:String}',
    { runId: params.runId },
  );
  return Number(row?.n ?? 0);
}
