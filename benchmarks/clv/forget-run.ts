/**
 * Removes one clv run's rows and record from an embedded store, so a shared data set stays as
 * it was built. A process of its own: only one process may hold the store.
 *
 *   tsx benchmarks/clv/forget-run.ts --data-dir DIR --run RUN_ID
 */
import { parseArgs } from 'node:util';
import { openDatasetStore } from '../lib/dataset-store.js';

const { values } = parseArgs({
  strict: true,
  options: { 'data-dir': { type: 'string' }, run: { type: 'string' } },
});
const dataDir = values['data-dir'];
const runId = values.run;
if (!dataDir || !runId) throw new Error('--data-dir and --run are required');
const store = await openDatasetStore(dataDir);
try {
  for (const table of ['clv_scores', 'clv_summaries', 'clv_terms', 'job_runs']) {
    await store.command(`DELETE FROM ${table} WHERE run_id = {runId:String}`, { runId });
  }
} finally {
  await store.close();
}
