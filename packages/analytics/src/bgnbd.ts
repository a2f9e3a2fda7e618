import { expectedPurchasesIfAlive } from './expected-purchases.js';
import { nelderMead } from './nelder-mead.js';
import { lnBetaShift, lnGamma, logSumExp } from './special.js';

export { expectedPurchasesIfAlive };

/**
 * BG/NBD (Fader, Hardie & Lee, 2005): while alive a customer buys at Poisson rate λ,
 * λ ~ Gamma(shape r, rate α); after each purchase they drop out with probability p,
 * p ~ Beta(a, b).
 */
export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/**
 * A customer's repeat-purchase history: x repeat purchases (after the first), the last one at
 * t_x, observed for T, both measured from the first purchase, in one time unit.
 */
export interface RepeatSummary {
  x: number;
  tx: number;
  T: number;
}

export interface WeightedSummary extends RepeatSummary {
  /** How many customers share this history. */
  weight: number;
}

/**
 * ln L(r, α, a, b | x, t_x, T), with the x > 0 term added in log-sum-exp form so neither
 * term underflows for long histories:
 *   L = Γ(r+x)αʳ/Γ(r) · B(a, b+x)/B(a, b) · [ (α+T)^−(r+x) + δ(x>0)·a/(b+x−1)·(α+t_x)^−(r+x) ]
 */
export function bgNbdLogLikelihood(params: BgNbdParams, customer: RepeatSummary): number {
  const { r, alpha, a, b } = params;
  const { x, tx, T } = customer;
  const head = lnGamma(r + x) - lnGamma(r) + r * Math.log(alpha) + lnBetaShift(a, b, x);
  const stays = -(r + x) * Math.log(alpha + T);
  if (x === 0) return head + stays;
  const leftAfterLast = Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx);
  return head + logSumExp(stays, leftAfterLast);
}

/**
 * Mean log-likelihood per customer over weighted histories. The same sum as
 * bgNbdLogLikelihood row by row, with the terms that depend on x alone computed once per
 * distinct x (the ratio of Beta functions as a running product over x): a fit evaluates this
 * thousands of times.
 */
export function bgNbdMeanLogLikelihood(
  params: BgNbdParams,
  data: readonly WeightedSummary[],
): number {
  const { r, alpha, a, b } = params;
  const heads = headsByX(params, data);
  const logA = Math.log(a);
  let total = 0;
  let weight = 0;
  for (const { x, tx, T, weight: w } of data) {
    const head = heads.get(x) ?? NaN;
    const stays = -(r + x) * Math.log(alpha + T);
    const ll =
      x === 0
        ? head + stays
        : head + logSumExp(stays, logA - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx));
    total += w * ll;
    weight += w;
  }
  return weight > 0 ? total / weight : NaN;
}

/**
 * ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b) for each distinct x of the data;
 * for whole x the Beta ratio is carried up from x = 0 as a sum of ln((b+i)/(a+b+i)), which
 * stays exact however large a and b are (see lnBetaShift).
 */
function headsByX(params: BgNbdParams, data: readonly WeightedSummary[]) {
  const { r, alpha, a, b } = params;
  const constant = -lnGamma(r) + r * Math.log(alpha);
  const xs = [...new Set(data.map((row) => row.x))].sort((p, q) => p - q);
  const heads = new Map<number, number>();
  let shift = 0;
  let reached = 0;
  for (const x of xs) {
    if (Number.isInteger(x) && x >= reached && x - reached <= 100_000) {
      for (; reached < x; reached++) shift -= Math.log1p(a / (b + reached));
      heads.set(x, constant + lnGamma(r + x) + shift);
    } else {
      heads.set(x, constant + lnGamma(r + x) + lnBetaShift(a, b, x));
    }
  }
  return heads;
}

export interface BgNbdFit {
  params: BgNbdParams;
  /** Total log-likelihood of the data at the fitted parameters. */
  logLikelihood: number;
  customers: number;
  iterations: number;
  converged: boolean;
}

/**
 * Maximum-likelihood fit by Nelder–Mead on the logarithms of the parameters (so they stay
 * positive), restarted once from its own optimum to escape a collapsed simplex.
 */
export function fitBgNbd(data: readonly WeightedSummary[], start?: BgNbdParams): BgNbdFit {
  const customers = data.reduce((sum, row) => sum + row.weight, 0);
  if (customers === 0) throw new RangeError('cannot fit BG/NBD to no customers');
  const meanT = data.reduce((sum, row) => sum + row.weight * row.T, 0) / customers;
  const objective = (v: number[]) =>
    -bgNbdMeanLogLikelihood(
      {
        r: Math.exp(v[0] ?? 0),
        alpha: Math.exp(v[1] ?? 0),
        a: Math.exp(v[2] ?? 0),
        b: Math.exp(v[3] ?? 0),
      },
      data,
    );
  const from = start ?? { r: 1, alpha: Math.max(meanT, 1e-3), a: 1, b: 1 };
  let x = [from.r, from.alpha, from.a, from.b].map(Math.log);
  let iterations = 0;
  let result = nelderMead(objective, x, { maxIterations: 2000, tolerance: 1e-10 });
  for (let restart = 0; restart < 2; restart++) {
    iterations += result.iterations;
    x = result.x;
    result = nelderMead(objective, x, { maxIterations: 2000, tolerance: 1e-10, step: 0.1 });
  }
  iterations += result.iterations;
  const [r = 0, alpha = 0, a = 0, b = 0] = result.x.map(Math.exp);
  const fit: BgNbdFit = {
    params: { r, alpha, a, b },
    logLikelihood: -result.fx * customers,
    customers,
    iterations,
    converged: result.converged,
  };
  checkFitIsInterior(fit, data, meanT);
  return fit;
}

/** The fit found no maximum of the likelihood; what it reached is kept for the run record. */
export class FitError extends Error {
  override readonly name = 'FitError';
  constructor(
    message: string,
    readonly fit: BgNbdFit,
  ) {
    super(message);
  }
}

/**
 * The likelihood has no maximum when a history has repeat purchases at t_x = 0 (all on the
 * day of the first one, in whole days): each such customer adds −x·ln α, so it grows without
 * bound as α → 0 (and r with it), and a fit there predicts nothing. Refuses such a fit, saying
 * why, rather than hand on parameters that make every later term degenerate.
 */
function checkFitIsInterior(fit: BgNbdFit, data: readonly WeightedSummary[], meanT: number) {
  const { r, alpha, a, b } = fit.params;
  const scale = meanT > 0 ? meanT : 1;
  const finite = [r, alpha, a, b].every((v) => v > 0 && Number.isFinite(v));
  if (finite && alpha > 1e-6 * scale && r > 1e-6) return;
  const instant = data
    .filter((row) => row.x > 0 && row.tx === 0)
    .reduce((sum, row) => sum + row.weight, 0);
  const reached = `r = ${r.toPrecision(3)}, α = ${alpha.toPrecision(3)}, a = ${a.toPrecision(3)}, b = ${b.toPrecision(3)}`;
  throw new FitError(
    instant > 0
      ? `the purchase model has no maximum-likelihood fit (it ran to ${reached}): ${instant} of ${fit.customers} customers have repeat purchases only at t_x = 0, which makes the likelihood grow without bound as α → 0`
      : `the purchase model's fit ran to the edge of the parameter space (${reached})`,
    fit,
  );
}

/**
 * P(alive | x, t_x, T) = 1 / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)).
 * A customer with no repeat purchase has had no chance to drop out: P(alive) = 1.
 */
export function probabilityAlive(params: BgNbdParams, customer: RepeatSummary): number {
  const { r, alpha, a, b } = params;
  const { x, tx, T } = customer;
  if (x === 0) return 1;
  const logOdds =
    Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx));
  return 1 / (1 + Math.exp(logOdds));
}

/** E[X(t) | x, t_x, T]: expected purchases in the next t time units. */
export function conditionalExpectedPurchases(
  params: BgNbdParams,
  customer: RepeatSummary,
  t: number,
): number {
  return probabilityAlive(params, customer) * expectedPurchasesIfAlive(params, customer, t);
}

/** E[X(t)] for a new customer: G(t) at x = 0, T = 0, the paper's eq. 9. */
export function expectedPurchasesNewCustomer(params: BgNbdParams, t: number): number {
  return expectedPurchasesIfAlive(params, { x: 0, T: 0 }, t);
}
