import { HttpError } from '@rapport/http';
import { summaryOf, type LatestRuns } from '@rapport/runs';
import { clvSummarySchema, type ClvReport } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { succeededRun } from './succeeded-run.js';

const round2 = (value: number) => Math.round(value * 100) / 100;

/** Distribution, top customers, totals and fit diagnostics of one clv run. */
export async function readClvReport(
  store: Store,
  latest: LatestRuns,
  options: { runId?: string; top: number; currency: string },
): Promise<ClvReport> {
  const runId = options.runId ?? (await latest.get('clv'))?.runId;
  if (runId === undefined) throw new HttpError(404, 'no successful clv run yet; start one first');
  const run = await succeededRun(store, { job: 'clv', runId });
  const { totals, ...diagnostics } = summaryOf(run, clvSummarySchema);
  const [deciles, histogram, top] = await Promise.all([
    store.query<{ decile: number; customers: number; low: number; high: number; total: number }>(
      `SELECT decile, count() AS customers, min(clv) AS low, max(clv) AS high, sum(clv) AS total
       FROM
       (
           SELECT clv, toUInt8(1 + intDiv(10 * (row_number() OVER (ORDER BY clv, customer_id) - 1),
                                          count() OVER ())) AS decile
           FROM clv_scores WHERE run_id = {runId:String}
       )
       GROUP BY decile ORDER BY decile`,
      { runId },
    ),
    store.query<{ bucket: number; customers: number; total: number }>(
      `SELECT least(toUInt8(floor(p_alive * 10)), 9) AS bucket, count() AS customers, sum(clv) AS total
       FROM clv_scores WHERE run_id = {runId:String} GROUP BY bucket ORDER BY bucket`,
      { runId },
    ),
    store.query<Record<string, number | string>>(
      `SELECT customer_id, orders, p_alive, expected_orders, expected_value, clv
       FROM clv_scores WHERE run_id = {runId:String}
       ORDER BY clv DESC, customer_id LIMIT {top:UInt32}`,
      { runId, top: options.top },
    ),
  ]);
  const totalClv = deciles.reduce((sum, row) => sum + Number(row.total), 0);
  return {
    runId,
    asOf: diagnostics.asOf ?? '',
    computedAt: run.finishedAt,
    currency: options.currency,
    params: run.params,
    customers: deciles.reduce((sum, row) => sum + Number(row.customers), 0),
    totals: {
      expectedOrders: totals?.expectedOrders ?? 0,
      expectedValue: round2(totals?.expectedValue ?? 0),
      clv: round2(totals?.clv ?? 0),
      meanPAlive: totals?.meanPAlive ?? 0,
    },
    clvDeciles: deciles.map((row) => ({
      decile: Number(row.decile),
      customers: Number(row.customers),
      minClv: round2(Number(row.low)),
      maxClv: round2(Number(row.high)),
      clv: round2(Number(row.total)),
      share: totalClv > 0 ? Number(row.total) / totalClv : 0,
    })),
    pAliveHistogram: Array.from({ length: 10 }, (_, bucket) => {
      const row = histogram.find((h) => Number(h.bucket) === bucket);
      return {
        from: bucket / 10,
        to: (bucket + 1) / 10,
        customers: Number(row?.customers ?? 0),
        clv: round2(Number(row?.total ?? 0)),
      };
    }),
    top: top.map((row) => ({
      customerId: String(row.customer_id),
      orders: Number(row.orders),
      pAlive: Number(row.p_alive),
      expectedOrders: Number(row.expected_orders),
      expectedValue: round2(Number(row.expected_value)),
      clv: round2(Number(row.clv)),
    })),
    diagnostics,
  };
}
