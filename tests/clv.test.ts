import {
  conditionalExpectedPurchases,
  conditionalExpectedValue,
  discountRatePerUnit,
  horizonTerms,
  populationMeanValue,
  probabilityAlive,
  type BgNbdParams,
  type GammaGammaParams,
} from '@rapport/analytics';
import type { ClvReport, EventInput } from '@rapport/schemas';
import {
  currencyRatesToUsd,
  generateCustomers,
  makeEvent,
  type CustomerTruth,
} from '@rapport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, sendAll } from './support/send-events.js';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

const AS_OF = '2024-12-31';
const HORIZON = 26;

let engine: TestEngine;
const truths: CustomerTruth[] = [];

/**
 * A customer whose only order was free, one whose repeat orders were all free, and one who
 * ordered twice on their first day (one purchase day worth both orders) and once a month later.
 */
function craftedEvents(): EventInput[] {
  const order = (id: string, customerId: string, at: string, revenue: number) =>
    makeEvent('purchase', {
      eventId: id,
      customerId,
      timestamp: at,
      properties: { orderId: id, revenue, currency: 'USD' },
    }) as EventInput;
  return [
    order('free-once-1', 'free-once', '2024-06-01T10:00:00Z', 0),
    order('free-repeat-1', 'free-repeat', '2024-03-01T10:00:00Z', 80),
    order('free-repeat-2', 'free-repeat', '2024-05-01T10:00:00Z', 0),
    order('free-repeat-3', 'free-repeat', '2024-09-01T10:00:00Z', 0),
    order('same-day-1', 'same-day', '2024-07-01T09:00:00Z', 40),
    order('same-day-2', 'same-day', '2024-07-01T17:00:00Z', 20),
    order('same-day-3', 'same-day', '2024-08-01T12:00:00Z', 30),
  ];
}

beforeAll(async () => {
  engine = await startTestEngine({ RAPPORT_CURRENCY_RATES: currencyRatesToUsd(['USD', 'EUR']) });
  const events: unknown[] = [];
  for (const person of generateCustomers({
    seed: 11,
    customers: 1200,
    buyerRate: 0.9,
    currencies: { USD: 0.8, EUR: 0.2 },
    end: '2025-01-15T00:00:00Z',
  })) {
    events.push(...person.events);
    truths.push(person.truth);
  }
  events.push(...craftedEvents());
  await sendAll(engine, events);
}, 180_000);
afterAll(() => engine.dispose());

interface ScoreRow {
  customer_id: string;
  orders: number;
  x: number;
  t_x: number;
  T: number;
  mean_value: number;
  p_alive: number;
  expected_orders: number;
  expected_order_value: number;
  expected_value: number;
  clv: number;
}

describe('the clv job', () => {
  let runId = '';
  let rows: ScoreRow[] = [];
  let summary: {
    bgNbd: { params: BgNbdParams; logLikelihood: number };
    gammaGamma: { params: GammaGammaParams };
    discountRatePerUnit: number;
    holdout: { actualOrders: number; predictedOrders: number; byRepeatOrders: unknown[] };
  };

  it('scores every customer with an order, the same ones the rfm job scores', async () => {
    const run = await runJob(engine, 'clv', { asOf: AS_OF, horizon: HORIZON, sampleSize: 5000 });
    expect(run).toMatchObject({ status: 'succeeded', error: null });
    runId = run.runId;
    const rfm = await runJob(engine, 'rfm', { asOf: AS_OF });
    rows = await engine.store.query<ScoreRow>(
      'SELECT * EXCEPT (run_id, as_of) FROM clv_scores WHERE run_id = {runId:String}',
      { runId },
    );
    const rfmRows = await engine.store.query<{ customer_id: string; frequency: number }>(
      'SELECT customer_id, frequency FROM rfm_scores WHERE run_id = {runId:String}',
      { runId: rfm.runId },
    );
    expect(rows.length).toBeGreaterThan(300);
    const frequency = new Map(rfmRows.map((row) => [row.customer_id, Number(row.frequency)]));
    expect(new Set(rows.map((row) => row.customer_id))).toEqual(new Set(frequency.keys()));
    for (const row of rows) {
      // Every order counts in orders; x counts repeat purchase days.
      expect(Number(row.orders)).toBe(frequency.get(row.customer_id));
      expect(Number(row.x)).toBeLessThanOrEqual(Number(row.orders) - 1);
      for (const key of [
        'p_alive',
        'expected_orders',
        'expected_order_value',
        'expected_value',
        'clv',
      ] as const) {
        expect(Number.isFinite(Number(row[key])), `${row.customer_id} ${key}`).toBe(true);
      }
      expect(Number(row.p_alive)).toBeGreaterThan(0);
      expect(Number(row.p_alive)).toBeLessThanOrEqual(1);
      expect(Number(row.t_x)).toBeLessThanOrEqual(Number(row.T));
    }
  });

  it('computes in SQL what the model functions compute, with the fitted parameters', async () => {
    const [run] = await engine.store.query<{ summary: string }>(
      'SELECT summary FROM job_runs FINAL WHERE run_id = {runId:String}',
      { runId },
    );
    summary = JSON.parse(run?.summary ?? '{}') as typeof summary;
    const bg = summary.bgNbd.params;
    const gg = summary.gammaGamma.params;
    expect(summary.bgNbd.logLikelihood).toBeLessThan(0);
    // Every customer, from the x, t_x, T and mean value the job stored: the SQL scoring and
    // the model functions compute the same quantities from the same inputs, to rounding.
    const relative = (got: number, want: number) =>
      want === 0 ? Math.abs(got) : Math.abs(got / want - 1);
    const termsOf = new Map<string, ReturnType<typeof horizonTerms>>();
    for (const row of rows) {
      const customer = {
        x: Number(row.x),
        tx: Number(row.t_x),
        T: Number(row.T),
        meanValue: Number(row.mean_value),
      };
      const at = `${row.customer_id} (x ${customer.x}, T ${customer.T})`;
      const pAlive = probabilityAlive(bg, customer);
      const expected = conditionalExpectedPurchases(bg, customer, HORIZON);
      const value = conditionalExpectedValue(gg, customer);
      const key = `${customer.x}:${customer.T}`;
      const terms =
        termsOf.get(key) ??
        horizonTerms({
          params: bg,
          x: customer.x,
          T: customer.T,
          horizon: HORIZON,
          discountRate: summary.discountRatePerUnit,
        });
      termsOf.set(key, terms);
      expect(relative(Number(row.p_alive), pAlive), at).toBeLessThan(1e-9);
      expect(relative(Number(row.expected_orders), expected), at).toBeLessThan(1e-9);
      expect(relative(Number(row.expected_order_value), value), at).toBeLessThan(1e-9);
      expect(relative(Number(row.expected_value), expected * value), at).toBeLessThan(1e-9);
      expect(relative(Number(row.clv), pAlive * terms.discountedIfAlive * value), at).toBeLessThan(
        1e-9,
      );
    }
    expect(summary.discountRatePerUnit).toBeCloseTo(discountRatePerUnit(0.1, 'week'), 12);
    // Not a check of the scoring but of the fit against the generator, whose buyers follow
    // BG/NBD with λ ~ Gamma(0.75, rate 0.25 a year), i.e. rate 0.25 × 365.2425 / 7 a week, in
    // continuous time: a few hundred repeat buyers pin r and α down to within 35 % only
    // (sampling error; the clv job's own test recovers 20,000 buyers' parameters to 15 %).
    expect(Math.abs(bg.r / 0.75 - 1)).toBeLessThan(0.35);
    expect(Math.abs(bg.alpha / ((0.25 * 365.2425) / 7) - 1)).toBeLessThan(0.35);
  });

  it('handles a single free order and free repeat orders without NaN', () => {
    const gg = summary.gammaGamma.params;
    const once = rows.find((row) => row.customer_id === 'free-once');
    expect(once).toMatchObject({ x: 0, mean_value: 0, p_alive: 1 });
    expect(Number(once?.expected_order_value)).toBeCloseTo(populationMeanValue(gg), 6);
    const repeat = rows.find((row) => row.customer_id === 'free-repeat');
    expect(repeat).toMatchObject({ x: 2, mean_value: 0 });
    expect(Number(repeat?.expected_order_value)).toBeGreaterThan(0);
    expect(Number(repeat?.expected_order_value)).toBeLessThan(populationMeanValue(gg));
  });

  it('counts the orders of one day as one purchase worth their sum', () => {
    const row = rows.find((r) => r.customer_id === 'same-day');
    // Days 2024-07-01, 2024-08-01; as of 2024-12-31: t_x = 31 days, T = 183 days, in weeks.
    expect(row).toMatchObject({ orders: 3, x: 1, mean_value: 30 });
    expect(Number(row?.t_x)).toBeCloseTo(31 / 7, 12);
    expect(Number(row?.T)).toBeCloseTo(183 / 7, 12);
  });

  it('sees who stopped buying: P(alive) is lower for buyers who dropped out', () => {
    const pAlive = new Map(rows.map((row) => [row.customer_id, Number(row.p_alive)]));
    const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
    const repeatBuyers = truths.filter(
      (truth) =>
        truth.customerId && pAlive.has(truth.customerId) && (truth.buyer?.repeatOrders ?? 0) > 0,
    );
    const gone = repeatBuyers.filter((t) => t.buyer?.droppedOutAt !== undefined);
    const active = repeatBuyers.filter((t) => t.buyer?.droppedOutAt === undefined);
    expect(gone.length).toBeGreaterThan(20);
    expect(active.length).toBeGreaterThan(20);
    const of = (list: CustomerTruth[]) =>
      mean(list.map((t) => pAlive.get(t.customerId ?? '') ?? NaN));
    expect(of(gone)).toBeLessThan(of(active) - 0.1);
  });

  it('checks itself on a holdout period', () => {
    const { holdout } = summary;
    expect(holdout.actualOrders).toBeGreaterThan(0);
    // The generator follows BG/NBD, so the prediction is close: within 30 % overall.
    expect(Math.abs(holdout.predictedOrders / holdout.actualOrders - 1)).toBeLessThan(0.3);
    expect(holdout.byRepeatOrders.length).toBeGreaterThan(3);
  });

  it('reports the distribution, top customers and expected revenue, and fills profiles', async () => {
    const response = await engine.app.inject({ url: '/v1/reports/clv?top=5' });
    expect(response.statusCode).toBe(200);
    const report = response.json<ClvReport>();
    expect(report.runId).toBe(runId);
    expect(report.customers).toBe(rows.length);
    expect(report.clvDeciles).toHaveLength(10);
    expect(report.clvDeciles.reduce((sum, d) => sum + d.customers, 0)).toBe(rows.length);
    expect(report.pAliveHistogram.reduce((sum, b) => sum + b.customers, 0)).toBe(rows.length);
    const total = rows.reduce((sum, row) => sum + Number(row.clv), 0);
    expect(report.totals.clv).toBeCloseTo(total, 0);
    expect(report.totals.expectedValue).toBeGreaterThan(report.totals.clv);
    expect(report.top).toHaveLength(5);
    const best = Math.max(...rows.map((row) => Number(row.clv)));
    expect(report.top[0]?.clv).toBeCloseTo(best, 1);
    expect(report.diagnostics).toMatchObject({ bgNbd: { params: { r: expect.any(Number) } } });
    expect(report.params).toMatchObject({ timeUnit: 'week', horizon: HORIZON });
    const top = report.top[0]?.customerId ?? '';
    const profile = (await engine.app.inject({ url: `/v1/customers/${top}` })).json<{
      clv: { runId: string; clv: number; pAlive: number; horizon: number; timeUnit: string };
    }>();
    expect(profile.clv).toMatchObject({ runId, horizon: HORIZON, timeUnit: 'week' });
    expect(profile.clv.clv).toBeCloseTo(report.top[0]?.clv ?? NaN, 1);
    expect((await engine.app.inject({ url: '/v1/reports/clv?runId=nope' })).statusCode).toBe(404);
  });

  it('refuses bad parameters by name', async () => {
    for (const [payload, name] of [
      [{ timeUnit: 'year' }, 'timeUnit'],
      [{ horizon: 0 }, 'horizon'],
      [{ discountRate: -1 }, 'discountRate'],
      [{ purchaseGrouping: 'week' }, 'purchaseGrouping'],
      [{ asOf: '2024-01-01', calibrationEnd: '2024-06-01' }, 'calibrationEnd'],
    ] as const) {
      const bad = await engine.app.inject({ method: 'POST', url: '/v1/jobs/clv/runs', payload });
      expect(bad.statusCode).toBe(400);
      expect(bad.json<{ message: string }>().message).toMatch(name);
    }
  });
});
