/**
 * Removes what the segments benchmark added to a shared data set: segment definitions,
 * features, results, membership and the changes recorded for delivery, clusters, and the rfm, clv, segments and clusters runs it
 * made (scores and records). The data set is kept for benchmarks only, so every row of those
 * tables is the benchmark's. A process of its own: only one process may hold the store.
 *
 *   tsx benchmarks/segments/forget.ts --data-dir DIR
 */
import { parseArgs } from 'node:util';
import { openDatasetStore } from '../lib/dataset-store.js';

const JOBS = ['rfm', 'clv', 'segments', 'clusters'];
const EMPTIED = [
  'segment_definitions',
  'segment_results',
  'segment_evaluations',
  'segment_membership',
  // What the engine recorded for delivery (the save of a new segment lets its members in).
  'segment_outbox',
  'segment_outbox_by_writer',
  'segment_outbox_cursors',
  'profile_features',
  'cluster_assignments',
  'cluster_centroids',
  'cluster_features',
];
const BY_RUN = ['rfm_scores', 'clv_scores', 'clv_summaries', 'clv_terms'];

const { values } = parseArgs({ strict: true, options: { 'data-dir': { type: 'string' } } });
const dataDir = values['data-dir'];
if (!dataDir) throw new Error('--data-dir is required');
const store = await openDatasetStore(dataDir);
try {
  const tables = new Set(
    (
      await store.query<{ name: string }>(
        'SELECT name FROM system.tables WHERE database = currentDatabase()',
      )
    ).map((row) => row.name),
  );
  const runs = (
    await store.query<{ run_id: string }>(
      'SELECT DISTINCT run_id FROM job_runs WHERE job IN {jobs:Array(String)}',
      { jobs: JOBS },
    )
  ).map((row) => row.run_id);
  for (const table of EMPTIED.filter((name) => tables.has(name))) {
    await store.command(`TRUNCATE TABLE ${table}`);
  }
  if (runs.length > 0) {
    for (const table of [...BY_RUN, 'job_runs'].filter((name) => tables.has(name))) {
      await store.command(`DELETE FROM ${table} WHERE run_id IN {runs:Array(String)}`, { runs });
    }
  }
  process.stdout.write(`${JSON.stringify({ forgotten: { runs: runs.length } })}\n`);
} finally {
  await store.close();
}
