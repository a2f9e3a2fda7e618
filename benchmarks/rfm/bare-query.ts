/**
 * The bare ClickHouse query behind the RFM job, as a process of its own (it opens the
 * embedded store, which only one process may hold): the SELECT of the job's INSERT, with the
 * same parameters, every output column computed (they feed a checksum) but nothing written.
 *
 *   tsx benchmarks/rfm/bare-query.ts --data-dir DIR --as-of 2024-12-31 [--forget-run RUN_ID]
 *
 * --forget-run removes that job run's scores and record afterwards, so the data set stays as
 * it was built. Prints {"bareQuery": BareQueryResult}.
 */
import { parseArgs } from 'node:util';
import { asOfParam } from '../../services/jobs/src/job-params.js';
import { rfmSql } from '../../services/jobs/src/rfm/rfm-job.js';
import { peakRssBytes } from '../lib/process-stats.js';
import { openDatasetStore } from '../lib/dataset-store.js';

export interface BareQueryResult {
  /** The query alone, from sending it to its answer. */
  seconds: number;
  /** Rows the SELECT produced: the customers the job scores. */
  rows: number;
  /** Opening the embedded store (loading the engine) before the query. */
  openSeconds: number;
  peakRssBytes: number | undefined;
}

/** The SELECT of the job's `INSERT INTO rfm_scores (…) SELECT …`. */
export function bareSelect(): string {
  const sql = rfmSql();
  const match = /^\s*INSERT INTO\s+rfm_scores\s*\([^)]*\)\s*/.exec(sql);
  if (!match || !sql.slice(match[0].length).startsWith('SELECT')) {
    throw new Error('the RFM job no longer reads INSERT INTO rfm_scores (…) SELECT …');
  }
  return sql.slice(match[0].length);
}

const { values } = parseArgs({
  strict: true,
  options: {
    'data-dir': { type: 'string' },
    'as-of': { type: 'string' },
    'forget-run': { type: 'string' },
  },
});
const dataDir = values['data-dir'];
if (!dataDir || !values['as-of']) throw new Error('--data-dir and --as-of are required');
// The job resolves --as-of with its own parameter schema (to an ISO instant, or epoch ms) and
// binds epoch milliseconds; so does this.
const resolved: unknown = asOfParam.parse(values['as-of']);
const asOf = typeof resolved === 'number' ? resolved : Date.parse(String(resolved));
if (!Number.isFinite(asOf)) throw new Error(`--as-of ${values['as-of']}: not a date`);

const opening = performance.now();
const store = await openDatasetStore(dataDir);
const openSeconds = (performance.now() - opening) / 1000;
try {
  // Every output column goes into the checksum, so none of them can be left uncomputed.
  const sql = `SELECT count() AS rows,
      sum(cityHash64(run_id, customer_id, as_of, recency_days, frequency, monetary, r, f, m, score, segment)) AS checksum
    FROM (${bareSelect()})`;
  const started = performance.now();
  const [row] = await store.query<{ rows: number; checksum: string }>(sql, {
    runId: 'bare-query',
    asOf,
  });
  const seconds = (performance.now() - started) / 1000;

  const runId = values['forget-run'];
  if (runId) {
    await store.command('DELETE FROM rfm_scores WHERE run_id = {runId:String}', { runId });
    await store.command('DELETE FROM job_runs WHERE run_id = {runId:String}', { runId });
  }
  const result: BareQueryResult = {
    seconds,
    rows: Number(row?.rows ?? 0),
    openSeconds,
    peakRssBytes: peakRssBytes(),
  };
  process.stdout.write(`${JSON.stringify({ bareQuery: result })}\n`);
} finally {
  await store.close();
}
