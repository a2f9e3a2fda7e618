import { insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distinctAgesSql } from './clv-sql.js';
import { computeTerms, describeUnscored, type AgeGroup } from './clv-terms.js';

let test: TestStore;

beforeAll(async () => {
  test = await openTestStore();
});
afterAll(async () => {
  await test?.dispose();
});

describe('the histories a clv run scores', () => {
  it('are read per (x, T) with one t_x each, and what a run records of them names no customer', async () => {
    const summary = (customerId: string, txDays: number) => ({
      run_id: 'r1',
      customer_id: customerId,
      orders: 3,
      x: 2,
      tx_days: txDays,
      t_days: 30,
      mean_value: 40,
    });
    await insertRows(test.store, 'clv_summaries', [
      summary('erase-me-7f3a', 12),
      summary('cust-2', 20),
      { ...summary('cust-3', 0), x: 0, t_days: 0 },
    ]);
    const groups = await test.store.query<AgeGroup>(distinctAgesSql(), { runId: 'r1' });
    expect(groups.map((group) => [Number(group.x), Number(group.t_days)]).sort()).toEqual([
      [0, 0],
      [2, 30],
    ]);
    // Terms that cannot be computed for any history: every one is listed in the run record,
    // which is kept whole, so an erasure could not take a customer's id out of it.
    const { unscored } = computeTerms({
      runId: 'r1',
      groups,
      params: { r: 0.5, alpha: 1e-320, a: 0.8, b: 2.5 },
      unitDays: 7,
      horizon: 52,
      discountRate: 0.002,
    });
    expect(unscored.length).toBeGreaterThan(0);
    const record = JSON.stringify({ groups, unscored: describeUnscored(unscored) });
    for (const customerId of ['erase-me-7f3a', 'cust-2', 'cust-3']) {
      expect(record).not.toContain(customerId);
    }
  });
});
