import { LOCAL_SUFFIX, type Store } from '@rapport/store';

/** Tables partitioned by run_id whose old runs jobs drop. */
export type RunPartitionedTable =
  'profile_features' | 'profile_fingerprints' | 'segment_results' | 'cluster_assignments';

/** Run ids are UUIDs; checked, since ALTER … DROP PARTITION takes a literal, not a parameter. */
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Drops one run's partition of `table` (on every shard when the store is a cluster). */
export async function dropRunPartition(
  store: Store,
  table: RunPartitionedTable,
  runId: string,
): Promise<void> {
  if (!RUN_ID.test(runId)) throw new Error(`"${runId}" is not a run id`);
  const target =
    store.cluster === undefined ? table : `${table}${LOCAL_SUFFIX} ON CLUSTER ${store.cluster}`;
  await store.command(`ALTER TABLE ${target} DROP PARTITION '${runId}'`);
}

/**
 * Drops the partitions (one per run) of `table` except those of the `keep` runs; with
 * `among`, only partitions of those runs are candidates (other jobs' runs are left alone).
 */
export async function dropPartitionsExcept(
  store: Store,
  options: { table: RunPartitionedTable; keep: readonly string[]; among?: readonly string[] },
): Promise<number> {
  const keep = new Set(options.keep);
  const among = options.among ? new Set(options.among) : undefined;
  const runs = await store.query<{ run_id: string }>(
    `SELECT DISTINCT run_id FROM ${options.table}`,
  );
  let dropped = 0;
  for (const { run_id: runId } of runs) {
    if (keep.has(runId) || (among && !among.has(runId))) continue;
    await dropRunPartition(store, options.table, runId);
    dropped++;
  }
  return dropped;
}
