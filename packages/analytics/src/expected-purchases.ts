import log1pmx from '@stdlib/math-base-special-log1pmx';
import { integrateUnitInterval, QuadratureError } from './quadrature.js';
import { lnBeta } from './special.js';

/**
 * G(t), the expected purchases in (T, T+t] of a BG/NBD customer known to be alive at T with x
 * repeat purchases, for every input the model allows (Fader, Hardie & Lee, 2005, eq. 10):
 *   G = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; z)],
 *   z = t/(α+T+t).
 */
export interface BgNbdShape {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** G(t) could not be computed for these inputs; `reason` says why, for the run record. */
export class TermError extends Error {
  override readonly name = 'TermError';
  constructor(
    readonly reason: string,
    readonly input: { x: number; T: number; t: number },
  ) {
    super(`G(t) for x = ${input.x}, T = ${input.T}, t = ${input.t}: ${reason}`);
  }
}

/** Past this z the series needs thousands of terms; the integral does not. */
const SERIES_MAX_Z = 0.9;
const SERIES_MAX_TERMS = 20_000;

/**
 * The series form. Euler's transformation turns the paper's bracket into
 * (1−z)^(a−1) · ₂F₁(a+b−1−r, a−1; c; z), c = a+b+x−1, whose parameters do not grow with x;
 * splitting off that series' first term and dividing through leaves
 *   G = c · (1 − (1−z)^(a−1))/(a−1) − (1−z)^(a−1) · (a+b−1−r) · z · S,
 *   S = Σₘ (a+b−r)ₘ (a)ₘ / ((c+1)ₘ (m+1)!) zᵐ,
 * in which neither c = 0 (x = 0 with a + b = 1) nor a = 1 divides by zero: both are the
 * limits of the paper's form there. Returns undefined when the series does not settle, or
 * when its two parts cancel so far that rounding could reach the 11th digit of G (large a:
 * the series' terms grow like (a·z)ᵐ/m! before they fall, while (1−z)^(a−1) shrinks).
 */
function bySeries(params: BgNbdShape, x: number, logOneMinusZ: number, z: number) {
  const { r, a, b } = params;
  const c = a + b + x - 1;
  const d = a - 1;
  // (1 − (1−z)^d)/d, which is −ln(1−z) at d = 0.
  const head = d === 0 ? -logOneMinusZ : -Math.expm1(d * logOneMinusZ) / d;
  let term = 1;
  let sum = 1;
  let sumOfSizes = 1;
  for (let m = 0; m < SERIES_MAX_TERMS; m++) {
    const ratio = ((a + b - r + m) * (a + m) * z) / ((c + 1 + m) * (m + 2));
    term *= ratio;
    sum += term;
    sumOfSizes += Math.abs(term);
    if (term === 0 || (Math.abs(ratio) < 1 && Math.abs(term) <= 1e-16 * Math.abs(sum))) {
      const first = c * head;
      const scale = Math.exp(d * logOneMinusZ) * (a + b - 1 - r) * z;
      const value = first - scale * sum;
      const rounding = Number.EPSILON * (Math.abs(first) + Math.abs(scale) * sumOfSizes) * 4;
      return rounding <= 1e-11 * Math.abs(value) ? value : undefined;
    }
  }
  return undefined;
}

/**
 * The integral form: alive at T, a customer with rates (λ, p) buys (1 − e^(−λpt))/p times in
 * the next t on average; λ's posterior is Gamma(r+x, α+T), so averaging over it gives
 * (1 − (1 + pt/(α+T))^(−(r+x)))/p, left to average over p's posterior Beta(a, b+x). Converges
 * however close z is to 1. Divided by the integral of the density alone, so that no error in
 * its normalisation is left (ln B(a, b+x) loses digits as a + b grows).
 */
function byIntegral(params: BgNbdShape, x: number, u: number) {
  const { r, a, b } = params;
  const value = (p: number) =>
    p > 0 ? -Math.expm1(-(r + x) * Math.log1p(p * u)) / p : (r + x) * u;
  const beta = betaDensity(a, b + x);
  const total = integrateUnitInterval({
    logDensity: beta.logDensity,
    value: (s, rest) => value(beta.at(s, rest)),
  });
  return total / massOf(a, b + x, beta.logDensity);
}

interface Density {
  /** ln of the density (up to a constant) at s ∈ (0, 1), from ln s and ln(1 − s). */
  logDensity: (logS: number, logRest: number) => number;
  /** The dropout probability p at s. */
  at: (s: number, rest: number) => number;
}

/** Standard deviations either side of the mean beyond which a Beta(A, B) has no mass to speak of. */
function reach(A: number, B: number) {
  // Both shapes ≥ 1: the density is log-concave, so its tails fall at least exponentially
  // (40σ); with both ≥ 50 they are close to a normal's (12σ leaves less than 1e-15).
  return Math.min(A, B) >= 50 ? 12 : 40;
}

/** k · v, and 0 at k = 0 whatever v is (k = 0 with ln 0 at an end of (0, 1)). */
function scaled(k: number, logOfRatio: number) {
  return k === 0 ? 0 : k * logOfRatio;
}

/**
 * Beta(A, B) as a density over s ∈ (0, 1). Over all of (0, 1) (p = s) unless its mass is in
 * part of it only: large a and b (the fit's answer when the dropout probability is the same
 * for everyone: the likelihood keeps rising as a, b → ∞ with a/(a+b) fixed) put the mass in a
 * sliver of width ~1/√(a+b) around the mean, which a grid over all of (0, 1) misses. Then s
 * spans the mean μ ± kσ, cut at 0 and 1, and the density is taken relative to its value at μ:
 * (A−1)·ln(1 + δ/μ) + (B−1)·ln(1 − δ/(1−μ)), δ = p − μ computed from the window's ends as
 * offsets from μ, which stays exact however large A and B are.
 */
function betaDensity(A: number, B: number): Density {
  const n = A + B;
  const mean = A / n;
  const complement = B / n;
  const spread = reach(A, B) * Math.sqrt((mean * complement) / (n + 1));
  const below = Math.min(spread, mean);
  const above = Math.min(spread, complement);
  if (!(A >= 1 && B >= 1) || (below === mean && above === complement)) {
    const logNorm = lnBeta(A, B);
    return {
      logDensity: (logP, logQ) => scaled(A - 1, logP) + scaled(B - 1, logQ) - logNorm,
      at: (p) => p,
    };
  }
  const width = below + above;
  const logWidth = Math.log(width);
  const cutAtZero = below === mean;
  const cutAtOne = above === complement;
  return {
    logDensity(logS, logRest) {
      const s = Math.exp(logS);
      if (s <= 0.5 && cutAtZero) {
        // p = width · s, exact next to 0.
        const delta = width * s - mean;
        return (
          scaled(A - 1, logWidth + logS - Math.log(mean)) +
          scaled(B - 1, Math.log1p(-delta / complement))
        );
      }
      if (s > 0.5 && cutAtOne) {
        // 1 − p = width · (1 − s), exact next to 1.
        const delta = complement - width * Math.exp(logRest);
        return (
          scaled(A - 1, Math.log1p(delta / mean)) +
          scaled(B - 1, logWidth + logRest - Math.log(complement))
        );
      }
      // (A−1)·ln(1 + δ/μ) + (B−1)·ln(1 − δ/(1−μ)) with the parts linear in δ, which nearly
      // cancel when A and B are large, summed apart: δ·(1/(1−μ) − 1/μ) exactly.
      const delta = s <= 0.5 ? width * s - below : above - width * Math.exp(logRest);
      return (
        scaled(A - 1, log1pmx(delta / mean)) +
        scaled(B - 1, log1pmx(-delta / complement)) +
        delta * (1 / complement - 1 / mean)
      );
    },
    at(s, rest) {
      if (s <= 0.5) return cutAtZero ? width * s : mean + (width * s - below);
      return cutAtOne ? 1 - width * rest : mean + (above - width * rest);
    },
  };
}

/** The last integral of a density alone: the same for every t of one (x, T). */
let lastMass = { A: NaN, B: NaN, mass: NaN };

function massOf(A: number, B: number, logDensity: Density['logDensity']) {
  if (lastMass.A !== A || lastMass.B !== B) {
    lastMass = { A, B, mass: integrateUnitInterval({ logDensity, value: () => 1 }) };
  }
  return lastMass.mass;
}

/**
 * G(t) by the series where it converges fast (z ≤ 0.9) and by the integral elsewhere. At
 * α + T = 0 (z = 1) G is E[1/p] = (a+b+x−1)/(a−1) for a > 1 and infinite otherwise.
 * Throws TermError, naming the reason, where no finite value exists or none could be found.
 */
export function expectedPurchasesIfAlive(
  params: BgNbdShape,
  customer: { x: number; T: number },
  t: number,
): number {
  const { r, alpha, a, b } = params;
  const { x, T } = customer;
  const input = { x, T, t };
  if (![r, alpha, a, b].every((v) => v > 0 && Number.isFinite(v))) {
    throw new TermError(
      `the parameters must be positive and finite, got ${JSON.stringify(params)}`,
      input,
    );
  }
  if (!(x >= 0 && T >= 0 && Number.isFinite(x) && Number.isFinite(T))) {
    throw new TermError('x and T must be finite and not negative', input);
  }
  if (t <= 0) return 0;
  const scale = alpha + T;
  const u = t / scale;
  if (!Number.isFinite(u)) {
    if (a > 1) return (a + b + x - 1) / (a - 1);
    throw new TermError(`α + T is 0 and a = ${a} ≤ 1: the expected purchases are infinite`, input);
  }
  const z = t / (scale + t);
  const logOneMinusZ = -Math.log1p(u);
  const series = z <= SERIES_MAX_Z ? bySeries(params, x, logOneMinusZ, z) : undefined;
  if (series !== undefined && Number.isFinite(series)) return series;
  let integral: number;
  try {
    integral = byIntegral(params, x, u);
  } catch (error) {
    if (error instanceof QuadratureError) throw new TermError(error.message, input);
    throw error;
  }
  // 0/0 where the grid found none of the density's mass: no value, rather than a wrong one.
  if (!Number.isFinite(integral)) {
    throw new TermError(`the integral over the dropout probability gave ${integral}`, input);
  }
  return integral;
}
