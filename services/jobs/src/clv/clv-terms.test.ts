import { describe, expect, it } from 'vitest';
import { computeTerms, describeUnscored } from './clv-terms.js';

describe('horizon terms per (x, T)', () => {
  it('leaves out, with the reason, only the customers whose terms have no finite value', () => {
    // α so small that α + T is 0 next to t at T = 0: with a ≤ 1 the expected purchases of a
    // customer alive now are infinite (E[1/p] under Beta(a, b) diverges); at T = 30 days they
    // are finite.
    const params = { r: 0.5, alpha: 1e-320, a: 0.8, b: 2.5 };
    const { lines, unscored } = computeTerms({
      runId: 'r1',
      groups: [
        { x: 0, t_days: 0, customers: 7, example_tx_days: 0 },
        { x: 2, t_days: 30, customers: 3, example_tx_days: 12 },
      ],
      params,
      unitDays: 7,
      horizon: 52,
      discountRate: 0.002,
    });
    expect(lines.map((line) => JSON.parse(line) as { x: number; t_days: number })).toEqual([
      expect.objectContaining({ run_id: 'r1', x: 2, t_days: 30 }),
    ]);
    expect(unscored).toEqual([
      {
        x: 0,
        T: 0,
        tDays: 0,
        exampleTx: 0,
        customers: 7,
        reason: expect.stringMatching(/x = 0, T = 0, t = 1: .*infinite/),
      },
    ]);
    expect(describeUnscored(unscored)).toMatchObject({ customers: 7, histories: 1 });
  });
});
