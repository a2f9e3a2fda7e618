import gammaln from '@stdlib/math-base-special-gammaln';

/** ln Γ(x), from a maintained special-functions library. */
export const lnGamma: (x: number) => number = gammaln;

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b). */
export function lnBeta(a: number, b: number): number {
  return gammaln(a) + gammaln(b) - gammaln(a + b);
}

/** Above this x the sum of lnBetaShift costs more than the cancellation it avoids. */
const SHIFT_SUM_MAX = 100_000;

/**
 * ln B(a, b+x) − ln B(a, b), the log of Π_{i<x} (b+i)/(a+b+i) for a whole x, summed as
 * −Σ ln(1 + a/(b+i)). Taking the difference of two lnBeta values instead loses digits in
 * proportion to a + b (about 1e-9 at a + b = 4e6, where the purchase model's dropout
 * probability is nearly the same for everyone), which leaves a fit wandering on noise.
 */
export function lnBetaShift(a: number, b: number, x: number): number {
  if (!Number.isInteger(x) || x < 0 || x > SHIFT_SUM_MAX) return lnBeta(a, b + x) - lnBeta(a, b);
  let sum = 0;
  for (let i = 0; i < x; i++) sum -= Math.log1p(a / (b + i));
  return sum;
}

/** ln(e^u + e^v) without overflow or underflow. */
export function logSumExp(u: number, v: number): number {
  const high = Math.max(u, v);
  if (high === -Infinity) return -Infinity;
  return high + Math.log(Math.exp(u - high) + Math.exp(v - high));
}

export class SeriesError extends Error {
  override readonly name = 'SeriesError';
}

/**
 * The Gauss hypergeometric function ₂F₁(a, b; c; z) for 0 ≤ z < 1 by its power series
 * Σ (a)ₙ(b)ₙ / ((c)ₙ n!) zⁿ. Stops when a term no longer changes the sum (relative 1e-15)
 * once the terms are shrinking; throws rather than return an unconverged value.
 */
export function hyp2f1(a: number, b: number, c: number, z: number, maxTerms = 100_000): number {
  if (!(z >= 0 && z < 1)) throw new RangeError(`hyp2f1 needs 0 <= z < 1, got ${z}`);
  if (c <= 0 && Number.isInteger(c)) throw new RangeError(`hyp2f1 is undefined for c = ${c}`);
  let term = 1;
  let sum = 1;
  for (let n = 0; n < maxTerms; n++) {
    const ratio = ((a + n) * (b + n) * z) / ((c + n) * (n + 1));
    term *= ratio;
    sum += term;
    if (term === 0) return sum;
    // Past n > a + b the ratio is below 1 for good, so a negligible term ends the series.
    if (Math.abs(ratio) < 1 && Math.abs(term) <= 1e-15 * Math.abs(sum)) return sum;
  }
  if (!Number.isFinite(sum)) throw new SeriesError(`hyp2f1(${a}, ${b}; ${c}; ${z}) overflowed`);
  throw new SeriesError(`hyp2f1(${a}, ${b}; ${c}; ${z}) did not converge in ${maxTerms} terms`);
}
