import { describe, expect, it } from 'vitest';
import {
  beta,
  exponential,
  gamma,
  geometric,
  lognormal,
  normal,
  poisson,
} from './distributions.js';
import { Random, WeightedTable } from './prng.js';

const N = 200_000;

function moments(draw: () => number, n = N): { mean: number; variance: number } {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    sum += x;
    squares += x * x;
  }
  const mean = sum / n;
  return { mean, variance: squares / n - mean * mean };
}

/** |actual − expected| within `relative` of expected. */
function near(actual: number, expected: number, relative: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.abs(expected) * relative);
}

describe('Random', () => {
  it('matches the xoshiro128** reference output', () => {
    const random = Random.fromState(1, 2, 3, 4);
    expect([1, 2, 3].map(() => random.nextUint32())).toEqual([11520, 0, 5927040]);
  });

  it('gives the same stream for the same keys and different streams for different keys', () => {
    const draw = (...keys: number[]) => {
      const random = new Random(...keys);
      return Array.from({ length: 8 }, () => random.nextUint32());
    };
    expect(draw(42, 1, 7)).toEqual(draw(42, 1, 7));
    expect(draw(42, 1, 7)).not.toEqual(draw(42, 1, 8));
    expect(draw(42, 1, 7)).not.toEqual(draw(43, 1, 7));
    expect(draw(0)).not.toEqual(draw(0, 0));
    expect(draw(-5)).not.toEqual(draw(5));
  });

  it('draws uniforms in (0, 1) with mean 1/2 and variance 1/12', () => {
    const random = new Random(1);
    const { mean, variance } = moments(() => random.next());
    near(mean, 0.5, 0.01);
    near(variance, 1 / 12, 0.02);
    const ints = new Set(Array.from({ length: 1000 }, () => random.int(3, 5)));
    expect([...ints].sort()).toEqual([3, 4, 5]);
  });

  it('rejects keys that are not safe integers', () => {
    expect(() => new Random(1.5)).toThrow(RangeError);
  });
});

describe('WeightedTable', () => {
  it('draws in proportion to the weights and never a zero weight', () => {
    const random = new Random(2);
    const table = new WeightedTable([
      ['a', 1],
      ['b', 3],
      ['never', 0],
    ] as const);
    const counts = { a: 0, b: 0, never: 0 };
    for (let i = 0; i < 40_000; i++) counts[table.draw(random)]++;
    expect(counts.never).toBe(0);
    near(counts.b / 40_000, 0.75, 0.02);
  });
});

describe('distributions', () => {
  it.each([
    [0.5, 2],
    [0.75, 4],
    [3, 0.5],
  ])('Gamma(shape %d, scale %d) has mean kθ and variance kθ²', (shape, scale) => {
    const random = new Random(10, shape * 100);
    const { mean, variance } = moments(() => gamma(random, shape, scale));
    near(mean, shape * scale, 0.02);
    near(variance, shape * scale * scale, 0.06);
  });

  it.each([
    [0.8, 2.4],
    [2, 5],
    [0.5, 0.5],
  ])('Beta(%d, %d) has mean a/(a+b) and variance ab/((a+b)²(a+b+1))', (a, b) => {
    const random = new Random(11, a * 10, b * 10);
    const { mean, variance } = moments(() => beta(random, a, b));
    near(mean, a / (a + b), 0.015);
    near(variance, (a * b) / ((a + b) ** 2 * (a + b + 1)), 0.04);
  });

  it('normal, lognormal and exponential have their textbook moments', () => {
    const random = new Random(12);
    const n = moments(() => normal(random, 3, 2));
    near(n.mean, 3, 0.01);
    near(n.variance, 4, 0.02);
    const log = moments(() => Math.log(lognormal(random, 4, 0.5)));
    near(log.mean, 4, 0.01);
    near(log.variance, 0.25, 0.02);
    const ln = moments(() => lognormal(random, 0, 0.5));
    near(ln.mean, Math.exp(0.125), 0.01);
    const e = moments(() => exponential(random, 4));
    near(e.mean, 0.25, 0.01);
    near(e.variance, 1 / 16, 0.03);
  });

  it.each([0.3, 4, 75])('Poisson(%d) has mean and variance equal to its mean', (mean) => {
    const random = new Random(13, mean * 10);
    const drawn = moments(() => poisson(random, mean), 100_000);
    near(drawn.mean, mean, 0.02);
    near(drawn.variance, mean, 0.04);
    expect(poisson(random, 0)).toBe(0);
  });

  it('geometric counts failures before a success', () => {
    const random = new Random(14);
    const { mean } = moments(() => geometric(random, 0.25), 100_000);
    near(mean, 3, 0.02);
    expect(geometric(random, 1)).toBe(0);
  });

  it('rejects impossible parameters', () => {
    const random = new Random(15);
    expect(() => gamma(random, 0)).toThrow(RangeError);
    expect(() => exponential(random, -1)).toThrow(RangeError);
    expect(() => poisson(random, Number.NaN)).toThrow(RangeError);
    expect(() => geometric(random, 0)).toThrow(RangeError);
  });
});
