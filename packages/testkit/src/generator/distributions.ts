import type { Random } from './prng.js';

/**
 * Samplers for the distributions the generator draws from, all driven by a seeded `Random`.
 * Parameters follow the usual textbook conventions, noted on each function.
 */

/** Standard normal N(0, 1) by the Box–Muller transform. */
export function normal(random: Random, mean = 0, sd = 1): number {
  const radius = Math.sqrt(-2 * Math.log(random.next()));
  return mean + sd * radius * Math.cos(2 * Math.PI * random.next());
}

/** Exponential with the given rate (mean 1 / rate). */
export function exponential(random: Random, rate: number): number {
  if (!(rate > 0)) throw new RangeError(`exponential rate must be positive, got ${rate}`);
  return -Math.log(random.next()) / rate;
}

/**
 * Gamma with shape k and scale θ (mean kθ, variance kθ²), by Marsaglia and Tsang's
 * squeeze-and-reject method (2000); shapes below 1 are drawn as Gamma(k + 1) · U^(1/k).
 */
export function gamma(random: Random, shape: number, scale = 1): number {
  if (!(shape > 0) || !(scale > 0)) {
    throw new RangeError(`gamma needs a positive shape and scale, got ${shape} and ${scale}`);
  }
  if (shape < 1) return gamma(random, shape + 1, scale) * Math.pow(random.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random.next();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
  }
}

/** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b); mean a / (a + b). */
export function beta(random: Random, a: number, b: number): number {
  const x = gamma(random, a);
  const y = gamma(random, b);
  return x / (x + y);
}

/** Lognormal: exp(N(mu, sigma)); median e^mu, mean e^(mu + sigma²/2). */
export function lognormal(random: Random, mu: number, sigma: number): number {
  return Math.exp(normal(random, mu, sigma));
}

/**
 * Poisson with the given mean. Knuth's product-of-uniforms method, applied to chunks of at
 * most 30 so that large means neither underflow nor lose exactness (a sum of Poissons is
 * Poisson); the cost grows with the mean, which stays small here.
 */
export function poisson(random: Random, mean: number): number {
  if (!(mean >= 0) || !Number.isFinite(mean)) {
    throw new RangeError(`poisson mean must be finite and not negative, got ${mean}`);
  }
  let count = 0;
  for (let left = mean; left > 0; left -= 30) {
    const limit = Math.exp(-Math.min(left, 30));
    let product = random.next();
    while (product > limit) {
      count++;
      product *= random.next();
    }
  }
  return count;
}

/** Failures before the first success, success probability p (mean (1 − p) / p). */
export function geometric(random: Random, p: number): number {
  if (!(p > 0 && p <= 1)) throw new RangeError(`geometric p must be in (0, 1], got ${p}`);
  if (p === 1) return 0;
  return Math.floor(Math.log(random.next()) / Math.log(1 - p));
}
