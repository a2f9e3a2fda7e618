import { COMMON_DROPOUT_HISTORIES } from '@rapport/analytics/testing';
import { BGNBD_BUYERS_DEFAULTS, generateBgNbdBuyers } from '@rapport/testkit';
import { eventRow, insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobRunner } from '../job-runner.js';
import type { RunRecord } from '../job.js';
import { clvJob } from './clv-job.js';

const logger = pino({ level: 'silent' });
const DAY = 86_400_000;
/** The end of the generated year, scored as of its last day. */
const END = '2024-12-31T23:59:59Z';
const CUSTOMERS = 20_000;
let test: TestStore;

function purchase(customerId: string, at: string, amount: number, orderId: string) {
  return eventRow({
    type: 'purchase',
    customerId,
    at: Date.parse(at),
    eventId: orderId,
    orderId,
    amount,
    currency: 'USD',
    properties: { orderId, revenue: amount, currency: 'USD' },
  });
}

/**
 * Customers a year-long log ends with: a first and only order on the as-of day, and two
 * orders that day, which make one purchase day.
 */
const lastDay = [
  purchase('last-day-once', '2024-12-31T15:00:00Z', 40, 'last-day-once-1'),
  purchase('last-day-twice', '2024-12-31T09:00:00Z', 40, 'last-day-twice-1'),
  purchase('last-day-twice', '2024-12-31T18:00:00Z', 25, 'last-day-twice-2'),
];

/**
 * Added after the runs on the year: half a year of 2023 in which 60 regular weekly buyers
 * spend from about 1 to 10,000 a purchase, so far apart that the spend model's q ≤ 1 (its
 * mean order value is unbounded) and the run cannot value anyone.
 */
function unboundedSpendLog() {
  const rows = [];
  const first = Date.parse('2023-01-02T10:00:00Z');
  for (let i = 0; i < 60; i++) {
    const id = `spend-${i}`;
    const value = Math.round(10 ** ((4 * (i % 10)) / 9) * (1 + (i % 3) / 10) * 100) / 100;
    rows.push(purchase(id, new Date(first).toISOString(), 50, `${id}-0`));
    for (let k = 1; k <= 8 + (i % 5); k++) {
      rows.push(purchase(id, new Date(first + k * 7 * DAY).toISOString(), value, `${id}-${k}`));
    }
  }
  return rows;
}

/**
 * First-day buyers: ten with one order on the year's first full day and three with two that
 * day. With asOf 2024-12-31 and a 52-week horizon the old default holdout cut-off was the end
 * of that day, and fitted on these histories, with every order counted, α ran to 0 and the
 * run failed with "hyp2f1 needs 0 <= z < 1, got 1".
 */
const firstDay = [
  ...Array.from({ length: 10 }, (_, i) =>
    purchase(`first-day-once-${i}`, '2024-01-02T12:00:00Z', 30, `first-day-once-${i}`),
  ),
  ...Array.from({ length: 3 }, (_, i) => [
    purchase(`first-day-twice-${i}`, '2024-01-02T10:00:00Z', 30, `first-day-twice-${i}-1`),
    purchase(`first-day-twice-${i}`, '2024-01-02T15:00:00Z', 30, `first-day-twice-${i}-2`),
  ]).flat(),
];

beforeAll(async () => {
  test = await openTestStore();
  let rows: object[] = [];
  for (const buyer of generateBgNbdBuyers({ seed: 21, customers: CUSTOMERS, end: END })) {
    for (const event of buyer.events) {
      const { orderId, revenue } = event.properties as { orderId: string; revenue: number };
      rows.push(purchase(buyer.truth.customerId, event.timestamp, revenue, orderId));
    }
    if (rows.length >= 20_000) {
      await insertRows(test.store, 'events', rows);
      rows = [];
    }
  }
  await insertRows(test.store, 'events', [...rows, ...lastDay, ...firstDay]);
}, 120_000);
afterAll(() => test.dispose());

async function run(params: Record<string, unknown>): Promise<RunRecord> {
  const runner = new JobRunner({ store: test.store, logger, jobs: [clvJob] });
  const { finished } = await runner.start('clv', params, 'api');
  return finished;
}

interface Fitted {
  params: { r: number; alpha: number; a: number; b: number };
}

interface Summary {
  purchaseGrouping: string;
  customers: number;
  bgNbd: Fitted;
  holdout: { actualOrders: number; predictedOrders: number; relativeError: number };
}

describe('the clv job on buyers arriving all through the year', () => {
  let record: RunRecord;

  it('scores every customer, those whose first order is on the as-of day too', async () => {
    record = await run({ asOf: '2024-12-31', timeUnit: 'week', horizon: 52 });
    expect(record).toMatchObject({ status: 'succeeded', error: null });
    const summary = record.summary as { customers: number; unscored: { customers: number } };
    expect(summary.customers).toBe(CUSTOMERS + 2 + 13);
    expect(summary.unscored.customers).toBe(0);
    const rows = await test.store.query<{
      customer_id: string;
      expected_orders: number;
      clv: number;
    }>(
      `SELECT customer_id, expected_orders, clv FROM clv_scores
       WHERE run_id = {runId:String} AND T = 0`,
      { runId: record.runId },
    );
    const ids = rows.map((row) => row.customer_id);
    expect(ids).toEqual(expect.arrayContaining(['last-day-once', 'last-day-twice']));
    const [twice] = await test.store.query<{ orders: number; x: number; mean_value: number }>(
      `SELECT orders, x, mean_value FROM clv_scores
       WHERE run_id = {runId:String} AND customer_id = 'last-day-twice'`,
      { runId: record.runId },
    );
    expect(twice).toEqual({ orders: 2, x: 0, mean_value: 0 });
    for (const row of rows) {
      expect(Number.isFinite(row.expected_orders) && row.expected_orders > 0).toBe(true);
      expect(Number.isFinite(row.clv) && row.clv > 0).toBe(true);
    }
  });

  // 20,000 customers pin each parameter down to a few per cent (seen: within 5 % on four
  // seeds of the generator, with orders counted as the job counts them).
  it('recovers the parameters the purchases were drawn from', () => {
    const { r, alphaDays, a, b } = BGNBD_BUYERS_DEFAULTS.purchases;
    const truth = { r, alpha: alphaDays / 7, a, b };
    const fitted = (record.summary as { bgNbd: Fitted }).bgNbd.params;
    for (const key of ['r', 'alpha', 'a', 'b'] as const) {
      expect(Math.abs(fitted[key] / truth[key] - 1), key).toBeLessThan(0.15);
    }
  });

  it('checks itself on the second half of the year when the log is shorter than two horizons', () => {
    const holdout = (record.summary as { holdout: Record<string, unknown> }).holdout;
    expect(holdout).toMatchObject({ calibrationEndChosenBy: 'half the history' });
    expect(holdout.skipped).toBeUndefined();
    const error = holdout.relativeError as number;
    expect(Math.abs(error)).toBeLessThan(0.1);
  });

  it('counts every order under purchaseGrouping: order, in the fit, the scores and the holdout', async () => {
    const byOrder = await run({
      asOf: '2024-12-31',
      timeUnit: 'week',
      horizon: 52,
      purchaseGrouping: 'order',
    });
    expect(byOrder).toMatchObject({ status: 'succeeded', error: null });
    const byDay = record.summary as unknown as Summary;
    const summary = byOrder.summary as unknown as Summary;
    expect(byDay.purchaseGrouping).toBe('day');
    expect(summary.purchaseGrouping).toBe('order');
    expect(summary.customers).toBe(byDay.customers);
    // Two orders on the as-of day: one repeat purchase at t_x = 0 worth the second order.
    const [twice] = await test.store.query<{ orders: number; x: number; mean_value: number }>(
      `SELECT orders, x, mean_value FROM clv_scores
       WHERE run_id = {runId:String} AND customer_id = 'last-day-twice'`,
      { runId: byOrder.runId },
    );
    expect(twice).toEqual({ orders: 2, x: 1, mean_value: 25 });
    // Every customer's x is their orders − 1; by day it is at most that.
    const [counts] = await test.store.query<{ day: number; order: number; orders: number }>(
      `SELECT sumIf(x, run_id = {day:String}) AS day, sumIf(x, run_id = {order:String}) AS order,
              sumIf(orders - 1, run_id = {order:String}) AS orders
       FROM clv_scores WHERE run_id IN ({day:String}, {order:String})`,
      { day: record.runId, order: byOrder.runId },
    );
    expect(Number(counts?.order)).toBe(Number(counts?.orders));
    expect(Number(counts?.day)).toBeLessThan(Number(counts?.order));
    // The generator draws in continuous time, so some repeat orders share a day: the holdout
    // counts more of them by order, and the fit sees more repeat purchases.
    expect(summary.holdout.actualOrders).toBeGreaterThan(byDay.holdout.actualOrders);
    expect(summary.bgNbd.params).not.toEqual(byDay.bgNbd.params);
  });

  it('succeeds with the holdout cut-off that once failed it, a day into the year', async () => {
    const checked = await run({
      asOf: '2024-12-31',
      timeUnit: 'week',
      horizon: 52,
      calibrationEnd: '2024-01-02',
    });
    expect(checked).toMatchObject({ status: 'succeeded', error: null });
    // A day's orders are one purchase: no one has a repeat purchase by then.
    expect((checked.summary as { holdout: unknown }).holdout).toMatchObject({
      calibrationEnd: '2024-01-02T23:59:59.999Z',
      skipped: expect.stringMatching(/^no repeat purchases/),
    });
  });

  it('reports a holdout check it cannot make as skipped, with the reason, and still succeeds', async () => {
    // Two hours into the year: hardly anyone has bought, and no one twice.
    const checked = await run({
      asOf: '2024-12-31',
      timeUnit: 'week',
      horizon: 52,
      calibrationEnd: '2024-01-02T02:00:00Z',
    });
    expect(checked.status).toBe('succeeded');
    expect((checked.summary as { holdout: unknown }).holdout).toMatchObject({
      calibrationEndChosenBy: 'param',
      skipped: expect.stringMatching(/^no repeat purchases/),
    });
  });
});

describe('a clv run that fails', () => {
  beforeAll(() => insertRows(test.store, 'events', unboundedSpendLog()));

  it('records the phase, the reason and the fits it made', async () => {
    const failed = await run({ asOf: '2023-06-30', timeUnit: 'week', horizon: 52 });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^fit phase: the spend model's q is 0\.\d+ ≤ 1/);
    expect(failed.error).toMatch(
      /Fitted: purchase model r = .*\(log-likelihood -\d.*, \d+ iterations\); spend model p = .*q = 0\./,
    );
    expect(failed.summary).toMatchObject({
      asOf: '2023-06-30T23:59:59.999Z',
      failure: { phase: 'fit', reason: expect.stringMatching(/q is .* ≤ 1/) },
      bgNbd: { logLikelihood: expect.any(Number), customers: 60 },
      gammaGamma: { logLikelihood: expect.any(Number), customers: 60 },
    });
    const { bgNbd, gammaGamma } = failed.summary as {
      bgNbd: Fitted & { iterations: number };
      gammaGamma: { params: { q: number }; iterations: number };
    };
    expect(bgNbd.iterations).toBeGreaterThan(0);
    expect(gammaGamma.params.q).toBeLessThanOrEqual(1);
    expect(gammaGamma.iterations).toBeGreaterThan(0);
    expect(failed.phases.map((phase) => phase.name)).toEqual(['summarize']);
  });
});

/**
 * The purchases of COMMON_DROPOUT_HISTORIES' fifteen customers in 2022, T counted back from
 * the end of the year: the run once fitted a ≈ 1.6e6, b ≈ 2.4e6 on them and left every
 * customer unscored.
 */
function commonDropoutLog() {
  const lastDay = Date.parse('2022-12-31T12:00:00Z');
  const rows = [];
  let n = 0;
  for (const [x, tx, T, customers] of COMMON_DROPOUT_HISTORIES) {
    for (let c = 0; c < customers; c++, n++) {
      const id = `same-dropout-${n}`;
      const first = lastDay - T * DAY;
      for (let k = 0; k <= x; k++) {
        const day = x === 0 ? 0 : Math.round((k * tx) / x);
        const amount = 40 + ((n * 7 + k * 13) % 30);
        rows.push(purchase(id, new Date(first + day * DAY).toISOString(), amount, `${id}-${k}`));
      }
    }
  }
  return rows;
}

describe('a clv run on customers who drop out at one rate', () => {
  beforeAll(() => insertRows(test.store, 'events', commonDropoutLog()));

  it('fits the common-dropout limit and scores every customer', async () => {
    const record = await run({ asOf: '2022-12-31', timeUnit: 'week', horizon: 52 });
    expect(record).toMatchObject({ status: 'succeeded', error: null });
    const summary = record.summary as {
      customers: number;
      unscored: { customers: number; histories: number };
      bgNbd: Fitted;
    };
    const { a, b } = summary.bgNbd.params;
    expect(a + b).toBeGreaterThan(1e6);
    expect(a / (a + b)).toBeCloseTo(0.394, 2);
    expect(summary.unscored).toMatchObject({ customers: 0, histories: 0 });
    expect(summary.customers).toBe(15);
    const rows = await test.store.query<{ expected_orders: number; clv: number }>(
      `SELECT expected_orders, clv FROM clv_scores WHERE run_id = {runId:String}`,
      { runId: record.runId },
    );
    expect(rows).toHaveLength(15);
    for (const row of rows) {
      expect(row.expected_orders).toBeGreaterThan(0);
      expect(Number.isFinite(row.clv) && row.clv > 0).toBe(true);
    }
  });
});
