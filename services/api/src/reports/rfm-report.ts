import { HttpError } from '@rapport/http';
import type { RfmReport } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import type { LatestRuns } from './latest-runs.js';

export interface RfmScore {
  runId: string;
  asOf: string;
  recencyDays: number;
  frequency: number;
  monetary: number;
  r: number;
  f: number;
  m: number;
  score: string;
  segment: string;
}

/** One customer's scores in the latest rfm run, for the profile. */
export async function readRfmScore(
  store: Store,
  latest: LatestRuns,
  customerId: string,
): Promise<RfmScore | null> {
  const run = await latest.get('rfm');
  if (!run) return null;
  const [row] = await store.query<
    Omit<RfmScore, 'runId' | 'asOf'> & { as_of: number; recency_days: number }
  >(
    `SELECT toUnixTimestamp64Milli(as_of) AS as_of, recency_days, frequency,
            toFloat64(monetary) AS monetary, r, f, m, score, segment
     FROM rfm_scores WHERE run_id = {runId:String} AND customer_id = {customerId:String}`,
    { runId: run.runId, customerId },
  );
  if (!row) return null;
  return {
    runId: run.runId,
    asOf: new Date(Number(row.as_of)).toISOString(),
    recencyDays: Number(row.recency_days),
    frequency: Number(row.frequency),
    monetary: Number(row.monetary),
    r: Number(row.r),
    f: Number(row.f),
    m: Number(row.m),
    score: row.score,
    segment: row.segment,
  };
}

/** The 5 × 5 recency × frequency grid and the named segments of one run. */
export async function readRfmReport(
  store: Store,
  latest: LatestRuns,
  options: { runId?: string; currency: string },
): Promise<RfmReport> {
  const runId = options.runId ?? (await latest.get('rfm'))?.runId;
  if (runId === undefined) throw new HttpError(404, 'no successful rfm run yet; start one first');
  const [run] = await store.query<{ finished_at: number | null; job: string; status: string }>(
    `SELECT job, status, toUnixTimestamp64Milli(finished_at) AS finished_at
     FROM job_runs FINAL WHERE run_id = {runId:String}`,
    { runId },
  );
  if (!run || run.job !== 'rfm') throw new HttpError(404, `no rfm run ${runId}`);
  if (run.status !== 'succeeded') throw new HttpError(409, `rfm run ${runId} is ${run.status}`);
  const cells = await store.query<{
    r: number;
    f: number;
    customers: number;
    monetary: number;
    as_of: number;
  }>(
    `SELECT r, f, count() AS customers, toFloat64(sum(monetary)) AS monetary,
            toUnixTimestamp64Milli(any(as_of)) AS as_of
     FROM rfm_scores WHERE run_id = {runId:String} GROUP BY r, f`,
    { runId },
  );
  const segments = await store.query<{ segment: string; customers: number; monetary: number }>(
    `SELECT segment, count() AS customers, toFloat64(sum(monetary)) AS monetary
     FROM rfm_scores WHERE run_id = {runId:String} GROUP BY segment
     ORDER BY customers DESC, segment`,
    { runId },
  );
  const customers = cells.reduce((sum, cell) => sum + Number(cell.customers), 0);
  const round2 = (value: number) => Math.round(value * 100) / 100;
  const grid: RfmReport['grid'] = [];
  for (let r = 5; r >= 1; r--) {
    for (let f = 1; f <= 5; f++) {
      const cell = cells.find((c) => Number(c.r) === r && Number(c.f) === f);
      grid.push({
        r,
        f,
        customers: Number(cell?.customers ?? 0),
        monetary: round2(Number(cell?.monetary ?? 0)),
      });
    }
  }
  const asOf = cells[0]?.as_of;
  return {
    runId,
    asOf: asOf === undefined ? '' : new Date(Number(asOf)).toISOString(),
    computedAt: run.finished_at === null ? null : new Date(Number(run.finished_at)).toISOString(),
    currency: options.currency,
    customers,
    grid,
    segments: segments.map((row) => ({
      segment: row.segment,
      customers: Number(row.customers),
      share: customers > 0 ? Number(row.customers) / customers : 0,
      monetary: round2(Number(row.monetary)),
      averageMonetary: round2(Number(row.monetary) / Math.max(1, Number(row.customers))),
    })),
  };
}
