import { describe, expect, it } from 'vitest';
import { bgNbdMeanLogLikelihood, fitBgNbd, type BgNbdParams } from './bgnbd.js';
import { horizonTerms } from './clv.js';
import { expectedPurchasesIfAlive } from './expected-purchases.js';
import { lnGamma } from './special.js';
import { COMMON_DROPOUT_HISTORIES } from './testing.js';

/** Customers whose repeat buyers drop out at one rate (see COMMON_DROPOUT_HISTORIES). */
const data = COMMON_DROPOUT_HISTORIES.map(([x, tx, T, weight]) => ({
  x,
  tx: tx / 7,
  T: T / 7,
  weight,
}));
const customers = data.reduce((sum, row) => sum + row.weight, 0);

/** The limit a, b → ∞: p is the same for everyone, and the Beta mixing drops out. */
function commonDropoutLogLikelihood(r: number, alpha: number, p: number) {
  let total = 0;
  for (const { x, tx, T, weight } of data) {
    const still = Math.pow(alpha + T, -(r + x));
    const left = x > 0 ? (p / (1 - p)) * Math.pow(alpha + tx, -(r + x)) : 0;
    total +=
      weight *
      (lnGamma(r + x) -
        lnGamma(r) +
        r * Math.log(alpha) +
        x * Math.log(1 - p) +
        Math.log(still + left));
  }
  return total;
}

describe('BG/NBD where every customer drops out at the same rate', () => {
  it('has a likelihood that rises smoothly to the common-dropout limit as a + b grows', () => {
    const [r, alpha, p] = [1.7159, 14.48, 0.3937];
    const limit = commonDropoutLogLikelihood(r, alpha, p);
    let previous = -Infinity;
    for (const size of [1e2, 1e4, 1e6, 1e8, 1e10, 1e12]) {
      const params: BgNbdParams = { r, alpha, a: p * size, b: (1 - p) * size };
      const total = bgNbdMeanLogLikelihood(params, data) * customers;
      expect(total, `a + b = ${size}`).toBeGreaterThan(previous);
      expect(total, `a + b = ${size}`).toBeLessThan(limit);
      previous = total;
    }
    expect(previous).toBeCloseTo(limit, 9);
  });

  it('fits to that limit: a and b large, a/(a+b) the common p, the likelihood its maximum', () => {
    const fit = fitBgNbd(data);
    const { r, alpha, a, b } = fit.params;
    expect(fit.converged).toBe(true);
    expect(a + b).toBeGreaterThan(1e6);
    // The common-dropout model's own maximum (r 1.71588, α 14.4801, p 0.393676, found by
    // Nelder–Mead on its three parameters) is where the fit ends up.
    expect(r).toBeCloseTo(1.7159, 3);
    expect(alpha).toBeCloseTo(14.48, 2);
    expect(a / (a + b)).toBeCloseTo(0.3937, 3);
    const best = commonDropoutLogLikelihood(1.7158786490031335, 14.480142111798266, 0.393675995);
    expect(fit.logLikelihood).toBeCloseTo(best, 6);
    // A model with spread in p (a + b = 10) fits worse.
    const spread = { r, alpha, a: 10 * (a / (a + b)), b: 10 * (b / (a + b)) };
    expect(bgNbdMeanLogLikelihood(spread, data) * customers).toBeLessThan(fit.logLikelihood - 0.05);
  });

  it('scores every history at the fitted parameters, as the common-dropout model does', () => {
    const { params } = fitBgNbd(data);
    const histories = new Set(data.map((row) => `${row.x}:${row.T}`));
    for (const key of histories) {
      const [x = 0, T = 0] = key.split(':').map(Number);
      const terms = horizonTerms({ params, x, T, horizon: 52, discountRate: 0.0018 });
      expect(Number.isFinite(terms.discountedIfAlive), key).toBe(true);
      expect(terms.discountedIfAlive).toBeLessThan(terms.purchasesIfAlive);
      // With p fixed, a customer alive now buys (1 − (1 + p·t/(α+T))^−(r+x))/p on average.
      const p = params.a / (params.a + params.b + x);
      for (const t of [1, 13, 52]) {
        const want = -Math.expm1(-(params.r + x) * Math.log1p((p * t) / (params.alpha + T))) / p;
        const got = expectedPurchasesIfAlive(params, { x, T }, t);
        expect(Math.abs(got / want - 1), `${key}, t = ${t}`).toBeLessThan(1e-6);
      }
    }
  });

  it('scores every history at the parameters that once left all of them unscored', () => {
    const params = {
      r: 1.7156222542640456,
      alpha: 14.476466105130097,
      a: 1573966.7978352178,
      b: 2423914.303388635,
    };
    for (const { x, T } of data) {
      const terms = horizonTerms({ params, x, T, horizon: 52, discountRate: 0.0018 });
      expect(terms.purchasesIfAlive, `x = ${x}, T = ${T}`).toBeGreaterThan(0);
      expect(Number.isFinite(terms.discountedIfAlive)).toBe(true);
    }
  });
});
