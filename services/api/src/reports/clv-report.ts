import { HttpError } from '@rapport/http';
import type { ClvReport, ClvScore } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import type { LatestRuns } from './latest-runs.js';

interface RunRow {
  job: string;
  status: string;
  finished_at: number | null;
  params: string;
  summary: string;
}

async function readRun(store: Store, runId: string): Promise<RunRow | undefined> {
  const [run] = await store.query<RunRow>(
    `SELECT job, status, toUnixTimestamp64Milli(finished_at) AS finished_at, params, summary
     FROM job_runs FINAL WHERE run_id = {runId:String}`,
    { runId },
  );
  return run;
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The time unit and horizon a run was made with, read once per run. */
const runShapes = new Map<string, { timeUnit: ClvScore['timeUnit']; horizon: number }>();

async function runShape(store: Store, runId: string) {
  const known = runShapes.get(runId);
  if (known) return known;
  const run = await readRun(store, runId);
  const params = parseObject(run?.params ?? '{}');
  const unit = params.timeUnit;
  const timeUnit: ClvScore['timeUnit'] = unit === 'day' || unit === 'month' ? unit : 'week';
  const shape = { timeUnit, horizon: Number(params.horizon ?? 52) };
  if (runShapes.size > 100) runShapes.clear();
  runShapes.set(runId, shape);
  return shape;
}

/** One customer's CLV scores in the latest clv run, for the profile. */
export async function readClvScore(
  store: Store,
  latest: LatestRuns,
  customerId: string,
): Promise<ClvScore | null> {
  const run = await latest.get('clv');
  if (!run) return null;
  const [row] = await store.query<Record<string, number>>(
    `SELECT toUnixTimestamp64Milli(as_of) AS as_of, orders, x, t_x, T, mean_value, p_alive,
            expected_orders, expected_order_value, expected_value, clv
     FROM clv_scores WHERE run_id = {runId:String} AND customer_id = {customerId:String}`,
    { runId: run.runId, customerId },
  );
  if (!row) return null;
  const shape = await runShape(store, run.runId);
  return {
    runId: run.runId,
    asOf: new Date(Number(row.as_of)).toISOString(),
    ...shape,
    orders: Number(row.orders),
    x: Number(row.x),
    tx: Number(row.t_x),
    T: Number(row.T),
    meanRepeatValue: Number(row.mean_value),
    pAlive: Number(row.p_alive),
    expectedOrders: Number(row.expected_orders),
    expectedOrderValue: Number(row.expected_order_value),
    expectedValue: Number(row.expected_value),
    clv: Number(row.clv),
  };
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/** Distribution, top customers, totals and fit diagnostics of one clv run. */
export async function readClvReport(
  store: Store,
  latest: LatestRuns,
  options: { runId?: string; top: number; currency: string },
): Promise<ClvReport> {
  const runId = options.runId ?? (await latest.get('clv'))?.runId;
  if (runId === undefined) throw new HttpError(404, 'no successful clv run yet; start one first');
  const run = await readRun(store, runId);
  if (!run || run.job !== 'clv') throw new HttpError(404, `no clv run ${runId}`);
  if (run.status !== 'succeeded') throw new HttpError(409, `clv run ${runId} is ${run.status}`);
  const summary = parseObject(run.summary);
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
  const totals = parseObject(JSON.stringify(summary.totals ?? {}));
  const { totals: _totals, ...diagnostics } = summary;
  void _totals;
  return {
    runId,
    asOf: typeof summary.asOf === 'string' ? summary.asOf : '',
    computedAt: run.finished_at === null ? null : new Date(Number(run.finished_at)).toISOString(),
    currency: options.currency,
    params: parseObject(run.params),
    customers: deciles.reduce((sum, row) => sum + Number(row.customers), 0),
    totals: {
      expectedOrders: Number(totals.expectedOrders ?? 0),
      expectedValue: round2(Number(totals.expectedValue ?? 0)),
      clv: round2(Number(totals.clv ?? 0)),
      meanPAlive: Number(totals.meanPAlive ?? 0),
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
