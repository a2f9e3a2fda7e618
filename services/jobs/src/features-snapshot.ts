import {
  writeProfileSnapshot,
  type ProfileSnapshotParams,
  type SnapshotOutcome,
} from '@rapport/profiles';
import { RunStore } from '@rapport/runs';
import type { Store } from '@rapport/store';
import { dropPartitionsExcept } from './partitions.js';

/**
 * Writes a run's features snapshot, copying the profiles unchanged since the latest segments
 * run's snapshot (kept until the next segments run is recorded), then drops the fingerprints
 * it read. Segments and clusters runs share the work this way when they run close together.
 */
export async function takeFeaturesSnapshot(
  store: Store,
  params: ProfileSnapshotParams,
): Promise<SnapshotOutcome> {
  const previousRun = (await new RunStore(store).latestSucceeded('segments'))?.runId;
  try {
    return await writeProfileSnapshot(store, params, { previousRun });
  } finally {
    await dropPartitionsExcept(store, {
      table: 'profile_fingerprints',
      among: [params.runId],
      keep: [],
    });
  }
}
