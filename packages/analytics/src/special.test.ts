import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hyp2f1, lnBeta, logSumExp, SeriesError } from './special.js';

/** Computed outside the project at 60 digits; fixtures/README.md says how. */
const reference = JSON.parse(
  readFileSync(new URL('../fixtures/independent-values.json', import.meta.url), 'utf8'),
) as { hyp2f1: { case: string; a: number; b: number; c: number; z: number; value: string }[] };

describe('the hypergeometric series', () => {
  it('matches closed forms', () => {
    for (const z of [0, 0.1, 0.5, 0.9, 0.99]) {
      // ₂F₁(1, 1; 2; z) = −ln(1−z)/z
      const log = z === 0 ? 1 : -Math.log(1 - z) / z;
      expect(hyp2f1(1, 1, 2, z)).toBeCloseTo(log, 12);
      // ₂F₁(a, b; b; z) = (1−z)^−a
      expect(hyp2f1(2.5, 3, 3, z) / Math.pow(1 - z, -2.5)).toBeCloseTo(1, 12);
      // ₂F₁(½, ½; 3/2; s²) = arcsin(s)/s
      const s = Math.sqrt(z);
      expect(hyp2f1(0.5, 0.5, 1.5, z)).toBeCloseTo(s === 0 ? 1 : Math.asin(s) / s, 12);
    }
    // A terminating series: ₂F₁(−2, b; c; z) = 1 − 2bz/c + b(b+1)z²/(c(c+1)).
    expect(hyp2f1(-2, 3, 4, 0.5)).toBeCloseTo(1 - (2 * 3 * 0.5) / 4 + (3 * 4 * 0.25) / (4 * 5), 14);
  });

  it.each(reference.hyp2f1)('matches mpmath at 60 digits: $case', ({ a, b, c, z, value }) => {
    const got = hyp2f1(a, b, c, z);
    const want = Number(value);
    expect(Math.abs(got / want - 1), `${got} against ${want}`).toBeLessThan(1e-12);
  });

  it('refuses arguments it cannot sum and says so', () => {
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, 2, 0.999999, 50)).toThrow(SeriesError);
  });

  it('keeps ln B and log-sum-exp finite where the naive forms are not', () => {
    expect(lnBeta(2, 3)).toBeCloseTo(Math.log(1 / 12), 12);
    expect(logSumExp(-1000, -1001)).toBeCloseTo(-1000 + Math.log(1 + Math.exp(-1)), 12);
    expect(logSumExp(-Infinity, -Infinity)).toBe(-Infinity);
  });
});
