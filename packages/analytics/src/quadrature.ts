/**
 * ∫₀¹ e^(logDensity(p)) · value(p) dp by tanh-sinh (double-exponential) quadrature
 * (Takahasi & Mori, 1974): p = 1 / (1 + e^(−π sinh τ)), summed over τ on a grid that is halved
 * until the sum stops moving. The substitution crowds the nodes towards both ends double-
 * exponentially, so algebraic end-point singularities such as a Beta density's p^(a−1) with
 * a < 1 cost no more than a smooth integrand. The density is taken as a logarithm, of ln p and
 * ln(1 − p) computed apart, so neither overflows nor loses precision next to an end.
 */
export interface UnitIntegrand {
  logDensity(logP: number, logQ: number): number;
  /** At p (with q = 1 − p); p may underflow to 0 at the far left nodes. */
  value(p: number, q: number): number;
}

export class QuadratureError extends Error {
  override readonly name = 'QuadratureError';
}

/** Relative agreement of two successive grids that counts as converged. */
const TOLERANCE = 1e-12;
/** Grid steps 1, ½, … 2^−MAX_LEVEL. */
const MAX_LEVEL = 10;
/** |τ| beyond which the nodes are no longer summed: p or 1 − p is below e^(−1700). */
const TAU_MAX = 7;

/** ln(1 + e^y) without overflow. */
function softplus(y: number): number {
  return y > 0 ? y + Math.log1p(Math.exp(-y)) : Math.log1p(Math.exp(y));
}

/** The contribution of the node at τ, the substitution's Jacobian π cosh τ · p(1 − p) included. */
function nodeTerm(integrand: UnitIntegrand, tau: number): number {
  const s = Math.PI * Math.sinh(tau);
  const logP = -softplus(-s);
  const logQ = -softplus(s);
  const logWeight = integrand.logDensity(logP, logQ) + logP + logQ;
  if (logWeight === -Infinity) return 0;
  const weight = Math.exp(logWeight) * Math.PI * Math.cosh(tau);
  if (weight === 0) return 0;
  return weight * integrand.value(Math.exp(logP), Math.exp(logQ));
}

/** The nodes of one level: every kh (level 0) or the odd multiples of h only. */
function levelSum(integrand: UnitIntegrand, h: number, odd: boolean): number {
  let sum = 0;
  if (!odd) sum += nodeTerm(integrand, 0);
  const step = odd ? 2 : 1;
  for (const sign of [-1, 1]) {
    for (let k = 1; k * h <= TAU_MAX; k += step) {
      const term = nodeTerm(integrand, sign * k * h);
      sum += term;
      // Past |τ| = 3 the terms fall double-exponentially; once negligible they stay so.
      if (k * h > 3 && Math.abs(term) <= 1e-18 * Math.abs(sum)) break;
    }
  }
  return sum;
}

export function integrateUnitInterval(integrand: UnitIntegrand): number {
  let h = 1;
  let sum = levelSum(integrand, h, false);
  let previous = sum * h;
  for (let level = 1; level <= MAX_LEVEL; level++) {
    h /= 2;
    sum += levelSum(integrand, h, true);
    const estimate = sum * h;
    if (!Number.isFinite(estimate)) {
      throw new QuadratureError(`the integral is not finite (${estimate})`);
    }
    if (level >= 3 && Math.abs(estimate - previous) <= TOLERANCE * Math.abs(estimate)) {
      return estimate;
    }
    previous = estimate;
  }
  throw new QuadratureError(`the integral did not settle in ${MAX_LEVEL} halvings of the grid`);
}
