import { readFileSync } from 'node:fs';
import { Random, beta, exponential, gamma } from '@rapport/testkit';
import { describe, expect, it } from 'vitest';
import {
  bgNbdLogLikelihood,
  bgNbdMeanLogLikelihood,
  conditionalExpectedPurchases,
  expectedPurchasesNewCustomer,
  fitBgNbd,
  FitError,
  probabilityAlive,
  type BgNbdParams,
  type WeightedSummary,
} from './bgnbd.js';

/** Draws (x, t_x, T) from the BG/NBD process itself. */
function simulate(params: BgNbdParams, customers: number, seed: number): WeightedSummary[] {
  const random = new Random(seed);
  const rows = new Map<string, WeightedSummary>();
  for (let i = 0; i < customers; i++) {
    const lambda = gamma(random, params.r, 1 / params.alpha);
    const p = beta(random, params.a, params.b);
    // Whole weeks of observation, purchase times to the day, as the job measures them.
    const T = random.int(26, 78);
    let x = 0;
    let tx = 0;
    for (let t = 0; ;) {
      t += exponential(random, Math.max(lambda, 1e-12));
      if (t > T) break;
      x++;
      tx = Math.round(t * 7) / 7;
      if (random.next() < p) break;
    }
    const key = `${x}:${tx}:${T}`;
    const row = rows.get(key) ?? { x, tx, T, weight: 0 };
    row.weight++;
    rows.set(key, row);
  }
  return [...rows.values()];
}

/**
 * The same quantities by brute force: a midpoint-rule double integral over the customer's
 * (λ, p) against prior × likelihood, sharing no formula with the code under test.
 */
function byIntegration(params: BgNbdParams, c: { x: number; tx: number; T: number }, t: number) {
  const { r, alpha, a, b } = params;
  const n = 1500;
  // λ on a log grid from 1e-8 to 50 (dλ = λ ds), p on a uniform one.
  const low = Math.log(1e-8);
  const ds = (Math.log(50) - low) / n;
  let evidence = 0;
  let alive = 0;
  let purchases = 0;
  for (let i = 0; i < n; i++) {
    const lambda = Math.exp(low + (i + 0.5) * ds);
    const prior = Math.exp(r * Math.log(lambda) - alpha * lambda);
    for (let j = 0; j < n; j++) {
      const p = (j + 0.5) / n;
      const weight = prior * Math.pow(p, a - 1) * Math.pow(1 - p, b - 1);
      const stillAlive = Math.pow(1 - p, c.x) * Math.pow(lambda, c.x) * Math.exp(-lambda * c.T);
      const leftAfterLast =
        c.x > 0
          ? p * Math.pow(1 - p, c.x - 1) * Math.pow(lambda, c.x) * Math.exp(-lambda * c.tx)
          : 0;
      evidence += weight * (stillAlive + leftAfterLast);
      alive += weight * stillAlive;
      // Alive at T, a customer buys (1 − e^−λpt)/p times in the next t on average.
      purchases += weight * stillAlive * ((1 - Math.exp(-lambda * p * t)) / p);
    }
  }
  return { pAlive: alive / evidence, expected: purchases / evidence };
}

const CDNOW: BgNbdParams = { r: 0.2426, alpha: 4.4136, a: 0.7929, b: 2.4259 };

/** Computed outside the project at 60 digits; fixtures/README.md says how. */
const independent = JSON.parse(
  readFileSync(new URL('../fixtures/independent-values.json', import.meta.url), 'utf8'),
) as {
  pAlive: { case: string; params: BgNbdParams; x: number; tx: number; T: number; pAlive: string }[];
};

/** Computed outside the project at 60 digits; fixtures/README.md says how. */
const reference = JSON.parse(
  readFileSync(new URL('../fixtures/bgnbd-reference.json', import.meta.url), 'utf8'),
) as {
  conditional: {
    case: string;
    params: BgNbdParams;
    x: number;
    tx: number;
    T: number;
    t: number;
    expected: string;
  }[];
};

describe('BG/NBD', () => {
  it('reproduces the published CDNOW example', () => {
    // Fader, Hardie & Lee (2005): x = 2, t_x = 30.43, T = 38.86 weeks → 1.226 in 39 weeks.
    const customer = { x: 2, tx: 30.43, T: 38.86 };
    expect(conditionalExpectedPurchases(CDNOW, customer, 39)).toBeCloseTo(1.226, 3);
  });

  it.each(reference.conditional)(
    'matches E[X(t) | x, t_x, T] computed at 60 digits: $case',
    (row) => {
      const got = conditionalExpectedPurchases(row.params, row, row.t);
      const want = Number(row.expected);
      expect(Math.abs(got / want - 1), `${got} against ${want}`).toBeLessThan(1e-10);
    },
  );

  it.each(independent.pAlive)('matches P(alive) computed at 60 digits: $case', (row) => {
    const got = probabilityAlive(row.params, row);
    const want = Number(row.pAlive);
    expect(Math.abs(got / want - 1), `${got} against ${want}`).toBeLessThan(1e-10);
  });

  it('matches P(alive) and E[X(t)] integrated independently for hand-picked customers', () => {
    const params: BgNbdParams = { r: 2, alpha: 6, a: 2.5, b: 4 };
    for (const customer of [
      { x: 0, tx: 0, T: 20 },
      { x: 1, tx: 5, T: 30 },
      { x: 4, tx: 12, T: 40 },
      { x: 6, tx: 38, T: 40 },
    ]) {
      const want = byIntegration(params, customer, 26);
      expect(probabilityAlive(params, customer), JSON.stringify(customer)).toBeCloseTo(
        want.pAlive,
        4,
      );
      expect(conditionalExpectedPurchases(params, customer, 26)).toBeCloseTo(want.expected, 3);
    }
  });

  it('gives a new customer the unconditional expectation', () => {
    // With no history at all (x = 0, T = 0) the conditional formula reduces to E[X(t)].
    expect(conditionalExpectedPurchases(CDNOW, { x: 0, tx: 0, T: 0 }, 39)).toBeCloseTo(
      expectedPurchasesNewCustomer(CDNOW, 39),
      10,
    );
  });

  it('keeps the likelihood finite for long, heavy histories', () => {
    expect(Number.isFinite(bgNbdLogLikelihood(CDNOW, { x: 400, tx: 1999, T: 2000 }))).toBe(true);
  });

  // Tolerance: with 30,000 simulated customers, each parameter within 10 % of its true value
  // (seen: all within 4 %; Nelder–Mead converges far tighter than the sampling error).
  it('recovers known parameters from simulated histories', () => {
    const truth: BgNbdParams = { r: 0.5, alpha: 5, a: 0.9, b: 3 };
    const data = simulate(truth, 30_000, 42);
    const fit = fitBgNbd(data);
    for (const key of ['r', 'alpha', 'a', 'b'] as const) {
      expect(Math.abs(fit.params[key] / truth[key] - 1), key).toBeLessThan(0.1);
    }
    expect(fit.customers).toBe(30_000);
    expect(fit.logLikelihood).toBeLessThan(0);
    // Grouping identical histories changes nothing but the cost.
    const some = data.slice(0, 300);
    const ungrouped = some.flatMap((row) =>
      Array.from({ length: row.weight }, () => ({ ...row, weight: 1 })),
    );
    const grouped = bgNbdMeanLogLikelihood(truth, some);
    expect(bgNbdMeanLogLikelihood(truth, ungrouped)).toBeCloseTo(grouped, 10);
    const rowByRow =
      ungrouped.reduce((sum, row) => sum + bgNbdLogLikelihood(truth, row), 0) / ungrouped.length;
    expect(rowByRow).toBeCloseTo(grouped, 10);
  });

  it('refuses a fit that runs to α → 0 and says which histories drive it there', () => {
    // A holdout period of a day or two: one customer's repeat order falls on the day of their
    // first (x = 1 at t_x = 0), which adds −ln α to the log-likelihood, so it has no maximum.
    const data = [
      { x: 0, tx: 0, T: 1 / 7, weight: 71 },
      { x: 0, tx: 0, T: 0, weight: 85 },
      { x: 1, tx: 1 / 7, T: 1 / 7, weight: 1 },
      { x: 1, tx: 0, T: 0, weight: 1 },
    ];
    let caught: unknown;
    try {
      fitBgNbd(data);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FitError);
    const error = caught as FitError;
    expect(error.message).toMatch(/1 of 158 customers have repeat purchases only at t_x = 0/);
    expect(error.fit.params.alpha).toBeLessThan(1e-6);
    expect(error.fit.iterations).toBeGreaterThan(0);
  });
});
