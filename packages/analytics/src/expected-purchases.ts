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
 * however close z is to 1.
 */
function byIntegral(params: BgNbdShape, x: number, u: number) {
  const { r, a, b } = params;
  const value = (p: number) =>
    p > 0 ? -Math.expm1(-(r + x) * Math.log1p(p * u)) / p : (r + x) * u;
  const window = concentration(a, b + x);
  if (window) return overWindow(a, b + x, window, value);
  const logNorm = lnBeta(a, b + x);
  return integrateUnitInterval({
    logDensity: (logP, logQ) => (a - 1) * logP + (b + x - 1) * logQ - logNorm,
    value: (p) => value(p),
  });
}

/** Standard deviations either side of the mean beyond which a Beta(A, B) has no mass to speak of. */
function reach(A: number, B: number) {
  // Both shapes ≥ 1: the density is log-concave, so its tails fall at least exponentially
  // (40σ); with both ≥ 50 they are close to a normal's (12σ leaves less than 1e-15).
  return Math.min(A, B) >= 50 ? 12 : 40;
}

/**
 * Where Beta(A, B) has its mass, when that is a part of (0, 1) only: mean μ and the interval
 * [μ − kσ, μ + kσ] within (0, 1). Large a and b (the fit's answer when the dropout probability
 * is the same for everyone: the likelihood keeps rising as a, b → ∞ with a/(a+b) fixed) put
 * the mass in a sliver of width ~1/√(a+b), which a grid over all of (0, 1) misses.
 */
function concentration(A: number, B: number) {
  if (!(A >= 1 && B >= 1)) return undefined;
  const n = A + B;
  const mean = A / n;
  const complement = B / n;
  const spread = reach(A, B) * Math.sqrt((mean * complement) / (n + 1));
  const lo = Math.max(0, mean - spread);
  const hi = Math.min(1, mean + spread);
  if (lo === 0 && hi === 1) return undefined;
  return { mean, complement, lo, hi };
}

/**
 * E[value(p)], p ~ Beta(A, B), integrated over the window only, with the density taken
 * relative to its value at the mean, ln f(μ+δ)/f(μ) = (A−1)·ln(1+δ/μ) + (B−1)·ln(1−δ/(1−μ)),
 * which is exact for any A, B, and divided by the same integral of the density (so no ln B(A, B),
 * whose digits go as A + B grows).
 */
function overWindow(
  A: number,
  B: number,
  window: NonNullable<ReturnType<typeof concentration>>,
  value: (p: number) => number,
) {
  const { mean, complement, lo, hi } = window;
  const width = hi - lo;
  // δ = p − μ at s ∈ (0, 1), from the nearer end so it stays exact there.
  const offset = (s: number, rest: number) =>
    s <= 0.5 ? lo - mean + width * s : hi - mean - width * rest;
  const part = (k: number, v: number) => (k === 0 ? 0 : k * Math.log1p(v));
  const logDensity = (logS: number, logRest: number) => {
    const delta = offset(Math.exp(logS), Math.exp(logRest));
    return part(A - 1, delta / mean) + part(B - 1, -delta / complement);
  };
  const mass = windowMass(A, B, logDensity);
  const total = integrateUnitInterval({
    logDensity,
    value: (s, rest) => value(mean + offset(s, rest)),
  });
  return total / mass;
}

/** The last window's integral of the density: the same for every t of one (x, T). */
let lastMass = { A: NaN, B: NaN, mass: NaN };

function windowMass(A: number, B: number, logDensity: (logS: number, logRest: number) => number) {
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
  try {
    return byIntegral(params, x, u);
  } catch (error) {
    if (error instanceof QuadratureError) throw new TermError(error.message, input);
    throw error;
  }
}
