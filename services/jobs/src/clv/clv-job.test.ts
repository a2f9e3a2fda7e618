import { BGNBD_BUYERS_DEFAULTS, generateBgNbdBuyers } from '@rapport/testkit';
import { eventRow, insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobRunner } from '../job-runner.js';
import type { RunRecord } from '../job.js';
import { clvJob } from './clv-job.js';

const logger = pino({ level: 'silent' });
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
 * orders that day (a repeat at t_x = T = 0).
 */
const lastDay = [
  purchase('last-day-once', '2024-12-31T15:00:00Z', 40, 'last-day-once-1'),
  purchase('last-day-twice', '2024-12-31T09:00:00Z', 40, 'last-day-twice-1'),
  purchase('last-day-twice', '2024-12-31T18:00:00Z', 25, 'last-day-twice-2'),
];

/**
 * Added after the runs on the year: a log of a day and a half before 2023-06-30, as a holdout period of a day or two sees it:
 * 71 customers a day old, 85 of that day, one with a repeat a day after the first order and
 * one with a repeat on the day of the first. The purchase model has no maximum here.
 */
function dayOldLog() {
  const rows = [];
  for (let i = 0; i < 71; i++)
    rows.push(purchase(`d1-${i}`, '2023-06-29T12:00:00Z', 50, `d1-${i}`));
  for (let i = 0; i < 85; i++)
    rows.push(purchase(`d0-${i}`, '2023-06-30T10:00:00Z', 50, `d0-${i}`));
  rows.push(purchase('d-repeat', '2023-06-29T09:00:00Z', 50, 'd-repeat-1'));
  rows.push(purchase('d-repeat', '2023-06-30T10:00:00Z', 70, 'd-repeat-2'));
  rows.push(purchase('d-same-day', '2023-06-30T09:00:00Z', 50, 'd-same-day-1'));
  rows.push(purchase('d-same-day', '2023-06-30T10:00:00Z', 70, 'd-same-day-2'));
  return rows;
}

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
  await insertRows(test.store, 'events', [...rows, ...lastDay]);
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

describe('the clv job on buyers arriving all through the year', () => {
  let record: RunRecord;

  it('scores every customer, those whose first order is on the as-of day too', async () => {
    record = await run({ asOf: '2024-12-31', timeUnit: 'week', horizon: 52 });
    expect(record).toMatchObject({ status: 'succeeded', error: null });
    const summary = record.summary as { customers: number; unscored: { customers: number } };
    expect(summary.customers).toBe(CUSTOMERS + 2);
    expect(summary.unscored.customers).toBe(0);
    const rows = await test.store.query<{
      customer_id: string;
      T: number;
      p_alive: number;
      expected_orders: number;
      clv: number;
    }>(
      `SELECT customer_id, T, p_alive, expected_orders, clv FROM clv_scores
       WHERE run_id = {runId:String} AND T = 0`,
      { runId: record.runId },
    );
    const ids = rows.map((row) => row.customer_id);
    expect(ids).toEqual(expect.arrayContaining(['last-day-once', 'last-day-twice']));
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
});

describe('a clv run that fails', () => {
  beforeAll(() => insertRows(test.store, 'events', dayOldLog()));

  it('records the phase, what it fitted and the histories at fault', async () => {
    const failed = await run({ asOf: '2023-06-30', timeUnit: 'week', horizon: 52 });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^fit phase: the purchase model has no maximum-likelihood fit/);
    expect(failed.error).toMatch(/1 of 158 customers/);
    expect(failed.error).toMatch(/x = 1, t_x = 0, T = 0 \(1 customers\)/);
    expect(failed.error).toMatch(/Fitted: purchase model r = .*log-likelihood .*iterations/);
    expect(failed.summary).toMatchObject({
      asOf: '2023-06-30T23:59:59.999Z',
      failure: { phase: 'fit', histories: [{ x: 1, tx: 0, T: 0, customers: 1 }] },
      bgNbd: {
        params: { r: expect.any(Number), a: expect.any(Number), b: expect.any(Number) },
        logLikelihood: expect.any(Number),
        customers: 158,
        iterations: expect.any(Number),
      },
    });
    const { bgNbd } = failed.summary as { bgNbd: Fitted & { iterations: number } };
    expect(bgNbd.params.alpha).toBeLessThan(1e-6);
    expect(bgNbd.iterations).toBeGreaterThan(0);
    expect(failed.phases.map((phase) => phase.name)).toEqual(['summarize']);
  });
});

describe('the holdout check', () => {
  it('is skipped with its reason, not failing the run, when its calibration has no fit', async () => {
    const checked = await run({
      asOf: '2024-12-31',
      timeUnit: 'week',
      horizon: 52,
      calibrationEnd: '2023-06-30',
    });
    expect(checked.status).toBe('succeeded');
    const holdout = (checked.summary as { holdout: Record<string, unknown> }).holdout;
    expect(holdout.skipped).toMatch(/no maximum-likelihood fit/);
    expect(holdout).toMatchObject({
      calibrationEndChosenBy: 'param',
      fit: { iterations: expect.any(Number) },
    });
  });
});
