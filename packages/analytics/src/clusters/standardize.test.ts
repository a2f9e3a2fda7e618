import { describe, expect, it } from 'vitest';
import { featureScale, standardize, unstandardize } from './standardize.js';

describe('featureScale and standardize', () => {
  it('centres each feature on its mean and scales it by its population sd', () => {
    const rows = [
      [1, 10, 5],
      [2, 20, 5],
      [3, 30, 5],
      [6, 60, 5],
    ];
    const scale = featureScale(rows);
    expect(scale.means).toEqual([3, 30, 5]);
    // Population sd of 1, 2, 3, 6: sqrt((4 + 1 + 0 + 9) / 4).
    expect(scale.sds[0]).toBeCloseTo(Math.sqrt(14 / 4), 12);
    expect(scale.sds[1]).toBeCloseTo(10 * Math.sqrt(14 / 4), 12);
    const standardized = rows.map((row) => standardize(row, scale));
    for (const j of [0, 1]) {
      const column = standardized.map((row) => row[j] ?? NaN);
      expect(column.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
      expect(column.reduce((a, b) => a + b * b, 0) / column.length).toBeCloseTo(1, 12);
    }
    expect(standardized[3]?.[0]).toBeCloseTo(3 / Math.sqrt(14 / 4), 12);
  });

  it('gives a constant feature sd 1, so it standardizes to 0 instead of dividing by zero', () => {
    const scale = featureScale([
      [1, 5],
      [3, 5],
    ]);
    expect(scale.sds[1]).toBe(1);
    expect(standardize([2, 5], scale)).toEqual([0, 0]);
    expect(standardize([2, 7], scale)).toEqual([0, 2]);
  });

  it('undoes itself', () => {
    const scale = { means: [1, -2], sds: [0.5, 4] };
    expect(unstandardize(standardize([3.25, 9], scale), scale)).toEqual([3.25, 9]);
  });

  it('refuses to scale nothing', () => {
    expect(() => featureScale([])).toThrow(/no rows/);
  });
});
