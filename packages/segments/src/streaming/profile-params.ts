import { lapsedMs } from '@rapport/profiles';
import type { RunStore } from '@rapport/runs';
import type { ProfileRowParams } from './evaluate-profiles.js';

/** The profile rows' parameters now: the lapse threshold and the latest job runs. */
export async function currentProfileParams(
  runs: RunStore,
  lapsedAfterDays: number,
): Promise<ProfileRowParams> {
  const [rfmRun, clvRun, clustersRun] = await Promise.all(
    ['rfm', 'clv', 'clusters'].map(async (job) => (await runs.latestSucceeded(job))?.runId ?? ''),
  );
  return {
    lapsedMs: lapsedMs(lapsedAfterDays),
    rfmRun: rfmRun ?? '',
    clvRun: clvRun ?? '',
    clustersRun: clustersRun ?? '',
  };
}
