import { HttpError } from '@rapport/http';
import type { LatestRuns } from '@rapport/runs';
import { isoOf, type RfmReport } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { succeededRun } from './succeeded-run.js';

/** The 5 × 5 recency × frequency grid and the named segments of one run. */
export async function readRfmReport(
  store: Store,
  latest: LatestRuns,
  options: { runId?: string; currency: string },
): Promise<RfmReport> {
  const runId = options.runId ?? (await latest.get('rfm'))?.runId;
  if (runId === undefined) throw new HttpError(404, 'no successful rfm run yet; start one first');
  const run = await succeededRun(store, { job: 'rfm', runId });
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
    asOf: asOf === undefined ? '' : isoOf(Number(asOf)),
    computedAt: run.finishedAt,
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
