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

  it('scores every history when the fit puts the dropout probability at one value for all', () => {
    // A fit on fifteen customers whose repeat buyers drop out at the same rate: a and b ran to
    // ~1e6 with a/(a+b) ≈ 0.39 (the likelihood's limit). Every history here once went unscored.
    const params = {
      r: 1.7156222542640456,
      alpha: 14.476466105130097,
      a: 1573966.7978352178,
      b: 2423914.303388635,
    };
    const histories: [number, number][] = [
      [0, 17],
      [0, 41],
      [0, 54],
      [0, 166],
      [0, 174],
      [1, 161],
      [1, 67],
      [1, 168],
      [1, 116],
      [2, 21],
      [2, 170],
      [2, 119],
      [2, 181],
      [3, 135],
    ];
    const { lines, unscored } = computeTerms({
      runId: 'r2',
      groups: histories.map(([x, tDays]) => ({
        x,
        t_days: tDays,
        customers: 1,
        example_tx_days: 0,
      })),
      params,
      unitDays: 7,
      horizon: 52,
      discountRate: 0.0018,
    });
    expect(unscored).toEqual([]);
    expect(lines).toHaveLength(histories.length);
    for (const line of lines) {
      const row = JSON.parse(line) as { purchases_if_alive: number; discounted_if_alive: number };
      expect(row.purchases_if_alive).toBeGreaterThan(row.discounted_if_alive);
      expect(row.discounted_if_alive).toBeGreaterThan(0);
    }
  });
});
