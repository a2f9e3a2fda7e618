import { nelderMead } from './nelder-mead.js';
import { lnGamma } from './special.js';

/**
 * Gamma-Gamma spend model (Fader, Hardie & Lee, 2005b; Colombo & Jiang, 1999): a customer's
 * order values are Gamma(shape p, rate ν) with ν ~ Gamma(shape q, rate γ) across customers,
 * independent of the purchase process.
 */
export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

/** x repeat orders of mean value m. */
export interface SpendSummary {
  x: number;
  meanValue: number;
}

/**
 * ln f(m | p, q, γ, x) = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m + px ln x
 *   − (px+q) ln(γ + x m). Defined only for x > 0 and m > 0 (callers leave the others out).
 */
export function gammaGammaLogLikelihood(params: GammaGammaParams, row: SpendSummary): number {
  const { p, q, gamma } = params;
  const { x, meanValue: m } = row;
  const px = p * x;
  return (
    lnGamma(px + q) -
    lnGamma(px) -
    lnGamma(q) +
    q * Math.log(gamma) +
    (px - 1) * Math.log(m) +
    px * Math.log(x) -
    (px + q) * Math.log(gamma + x * m)
  );
}

/**
 * Mean of gammaGammaLogLikelihood over rows, with the log-gamma terms (which depend on x
 * alone) computed once per distinct x.
 */
export function gammaGammaMeanLogLikelihood(
  params: GammaGammaParams,
  rows: readonly SpendSummary[],
): number {
  const { p, q, gamma } = params;
  const constant = -lnGamma(q) + q * Math.log(gamma);
  const heads = new Map<number, number>();
  let total = 0;
  for (const { x, meanValue: m } of rows) {
    const px = p * x;
    let head = heads.get(x);
    if (head === undefined) {
      head = constant + lnGamma(px + q) - lnGamma(px) + px * Math.log(x);
      heads.set(x, head);
    }
    total += head + (px - 1) * Math.log(m) - (px + q) * Math.log(gamma + x * m);
  }
  return rows.length > 0 ? total / rows.length : NaN;
}

export interface GammaGammaFit {
  params: GammaGammaParams;
  logLikelihood: number;
  customers: number;
  iterations: number;
  converged: boolean;
}

/** Only customers with a repeat order of positive mean value inform the spend model. */
export function usableForSpend(row: SpendSummary): boolean {
  return row.x > 0 && row.meanValue > 0 && Number.isFinite(row.meanValue);
}

/** Maximum-likelihood fit by Nelder–Mead on log-parameters; rows not usable are skipped. */
export function fitGammaGamma(rows: readonly SpendSummary[]): GammaGammaFit {
  const data = rows.filter(usableForSpend);
  if (data.length === 0)
    throw new RangeError('cannot fit Gamma-Gamma without repeat orders of positive value');
  const meanValue = data.reduce((sum, row) => sum + row.meanValue, 0) / data.length;
  const objective = (v: number[]) => {
    const params = { p: Math.exp(v[0] ?? 0), q: Math.exp(v[1] ?? 0), gamma: Math.exp(v[2] ?? 0) };
    return -gammaGammaMeanLogLikelihood(params, data);
  };
  let result = nelderMead(objective, [0, Math.log(2), Math.log(meanValue)], {
    maxIterations: 2000,
    tolerance: 1e-10,
  });
  let iterations = result.iterations;
  for (let restart = 0; restart < 2; restart++) {
    result = nelderMead(objective, result.x, { maxIterations: 2000, tolerance: 1e-10, step: 0.1 });
    iterations += result.iterations;
  }
  const [p = 0, q = 0, gamma = 0] = result.x.map(Math.exp);
  return {
    params: { p, q, gamma },
    logLikelihood: -result.fx * data.length,
    customers: data.length,
    iterations,
    converged: result.converged,
  };
}

/** The population's mean order value pγ/(q−1); infinite when q ≤ 1. */
export function populationMeanValue(params: GammaGammaParams): number {
  return params.q > 1 ? (params.p * params.gamma) / (params.q - 1) : Infinity;
}

/**
 * E[M | x, m] = p(γ + x·m)/(px + q − 1): a weighted mean of the population mean pγ/(q−1) and
 * the customer's own mean m, weighted (q−1) to px. With x = 0 it is the population mean; a
 * zero mean value just pulls it down — nothing here takes a logarithm.
 */
export function conditionalExpectedValue(params: GammaGammaParams, row: SpendSummary): number {
  const { p, q, gamma } = params;
  const x = row.x;
  const m = x > 0 && Number.isFinite(row.meanValue) ? Math.max(0, row.meanValue) : 0;
  return (p * (gamma + x * m)) / (p * x + q - 1);
}
