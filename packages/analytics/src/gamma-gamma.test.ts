import { readFileSync } from 'node:fs';
import { Random, gamma } from '@rapport/testkit';
import { describe, expect, it } from 'vitest';
import { customerValue, discountRatePerUnit, horizonTerms } from './clv.js';
import {
  conditionalExpectedValue,
  fitGammaGamma,
  gammaGammaLogLikelihood,
  gammaGammaMeanLogLikelihood,
  populationMeanValue,
  type GammaGammaParams,
  type SpendSummary,
} from './gamma-gamma.js';

/** Computed outside the project at 60 digits; fixtures/README.md says how. */
const reference = (
  JSON.parse(
    readFileSync(new URL('../fixtures/independent-values.json', import.meta.url), 'utf8'),
  ) as {
    gammaGamma: {
      params: GammaGammaParams;
      populationMeanValue: string;
      rows: { x: number; meanValue: number; logLikelihood: string; expectedValue: string }[];
    };
  }
).gammaGamma;

/** One customer's value; fixtures/README.md says how it was computed. */
const clvReference = (
  JSON.parse(
    readFileSync(new URL('../fixtures/independent-values.json', import.meta.url), 'utf8'),
  ) as {
    clv: {
      bgNbd: { r: number; alpha: number; a: number; b: number };
      gammaGamma: GammaGammaParams;
      customer: { x: number; tx: number; T: number; meanValue: number };
      horizon: number;
      discountRate: number;
      expectedValue: string;
      clv: string;
    };
  }
).clv;

const relative = (got: number, want: string) => Math.abs(got / Number(want) - 1);

function simulate(params: GammaGammaParams, customers: number, seed: number): SpendSummary[] {
  const random = new Random(seed);
  const rows: SpendSummary[] = [];
  for (let i = 0; i < customers; i++) {
    const nu = gamma(random, params.q, 1 / params.gamma);
    const x = random.int(1, 10);
    let sum = 0;
    for (let k = 0; k < x; k++) sum += gamma(random, params.p, 1 / nu);
    rows.push({ x, meanValue: sum / x });
  }
  return rows;
}

describe('Gamma-Gamma', () => {
  // Tolerance: 20,000 simulated customers, each parameter within 10 % (seen: within 5 %).
  it('recovers known parameters from simulated spend', () => {
    const truth = { p: 6, q: 4, gamma: 15 };
    const data = simulate(truth, 20_000, 3);
    const fit = fitGammaGamma(data);
    for (const key of ['p', 'q', 'gamma'] as const) {
      expect(Math.abs(fit.params[key] / truth[key] - 1), key).toBeLessThan(0.1);
    }
  });

  it('matches the log-likelihood, order value and population mean integrated at 60 digits', () => {
    const { params, rows } = reference;
    for (const row of rows) {
      const at = `x = ${row.x}, m = ${row.meanValue}`;
      expect(relative(gammaGammaLogLikelihood(params, row), row.logLikelihood), at).toBeLessThan(
        1e-12,
      );
      expect(relative(conditionalExpectedValue(params, row), row.expectedValue), at).toBeLessThan(
        1e-12,
      );
    }
    const mean = reference.rows.reduce((sum, row) => sum + Number(row.logLikelihood), 0);
    expect(
      relative(gammaGammaMeanLogLikelihood(params, rows), String(mean / rows.length)),
    ).toBeLessThan(1e-12);
    expect(relative(populationMeanValue(params), reference.populationMeanValue)).toBeLessThan(
      1e-14,
    );
    // With no repeat order the expected value is the population's.
    expect(
      relative(
        conditionalExpectedValue(params, { x: 0, meanValue: 0 }),
        reference.populationMeanValue,
      ),
    ).toBeLessThan(1e-14);
  });

  it('matches the posterior mean of p/ν integrated independently', () => {
    const params = { p: 6.25, q: 3.74, gamma: 15.44 };
    for (const row of [
      { x: 1, meanValue: 20 },
      { x: 4, meanValue: 55.5 },
      { x: 12, meanValue: 9.99 },
    ]) {
      // Posterior of ν: ∝ ν^(px+q−1) e^(−ν(γ + x m)); integrate p/ν on a log grid.
      const shape = params.p * row.x + params.q;
      const rate = params.gamma + row.x * row.meanValue;
      let mass = 0;
      let mean = 0;
      for (let i = 0; i < 20_000; i++) {
        const nu = Math.exp(-15 + (i + 0.5) * (20 / 20_000));
        const density = Math.exp(shape * Math.log(nu) - rate * nu); // × ν for dν = ν ds
        mass += density;
        mean += (params.p / nu) * density;
      }
      expect(conditionalExpectedValue(params, row)).toBeCloseTo(mean / mass, 6);
    }
  });

  it('handles customers with no repeat order and orders of zero value without NaN', () => {
    const gg = { p: 6.25, q: 3.74, gamma: 15.44 };
    const bg = { r: 0.2426, alpha: 4.4136, a: 0.7929, b: 2.4259 };
    // p γ / (q − 1) = 6.25 · 15.44 / 2.74.
    expect(conditionalExpectedValue(gg, { x: 0, meanValue: NaN })).toBeCloseTo(96.5 / 2.74, 10);
    expect(conditionalExpectedValue(gg, { x: 3, meanValue: 0 })).toBeGreaterThan(0);
    const terms = horizonTerms({
      params: bg,
      x: 0,
      T: 0,
      horizon: 52,
      discountRate: discountRatePerUnit(0.1, 'week'),
    });
    for (const customer of [
      { x: 0, tx: 0, T: 0, meanValue: 0 },
      { x: 0, tx: 0, T: 30, meanValue: 0 },
      { x: 3, tx: 0, T: 0, meanValue: 0 },
    ]) {
      const value = customerValue({ bgNbd: bg, gammaGamma: gg, customer, terms });
      for (const [name, v] of Object.entries(value)) expect(Number.isFinite(v), name).toBe(true);
    }
    // Zero-value and no-repeat rows are left out of the fit instead of poisoning it.
    const fit = fitGammaGamma([
      ...simulate(gg, 2000, 5),
      { x: 2, meanValue: 0 },
      { x: 0, meanValue: 0 },
    ]);
    expect(fit.customers).toBe(2000);
    expect(Number.isFinite(fit.logLikelihood)).toBe(true);
  });

  it('values a customer as computed at 60 digits, discounting each period', () => {
    const { bgNbd, gammaGamma, customer, horizon, discountRate } = clvReference;
    const at = (rate: number) =>
      customerValue({
        bgNbd,
        gammaGamma,
        customer,
        terms: horizonTerms({
          params: bgNbd,
          x: customer.x,
          T: customer.T,
          horizon,
          discountRate: rate,
        }),
      });
    expect(relative(discountRatePerUnit(0.1, 'week'), String(discountRate))).toBeLessThan(1e-12);
    expect(relative(at(discountRate).clv, clvReference.clv)).toBeLessThan(1e-10);
    expect(relative(at(discountRate).expectedValue, clvReference.expectedValue)).toBeLessThan(
      1e-10,
    );
    expect(relative(at(0).clv, clvReference.expectedValue)).toBeLessThan(1e-10);
    expect(discountRatePerUnit(0.1, 'month')).toBeCloseTo(Math.pow(1.1, 1 / 12) - 1, 12);
  });
});
