import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectedPurchasesIfAlive, TermError } from './expected-purchases.js';
import { integrateUnitInterval } from './quadrature.js';

interface ReferenceCase {
  case: string;
  params: { r: number; alpha: number; a: number; b: number };
  x: number;
  T: number;
  t: number;
  G: string;
}

/** Computed outside the project at 60 digits; fixtures/README.md says how. */
const reference = JSON.parse(
  readFileSync(new URL('../fixtures/bgnbd-reference.json', import.meta.url), 'utf8'),
) as { cases: ReferenceCase[] };

describe('G(t), the expected purchases of a customer alive now', () => {
  it.each(reference.cases)('matches the high-precision value: $case', (row) => {
    const got = expectedPurchasesIfAlive(row.params, { x: row.x, T: row.T }, row.t);
    const want = Number(row.G);
    expect(Math.abs(got / want - 1), `${got} against ${want}`).toBeLessThan(1e-10);
  });

  it('has the closed form E[1/p] = (a+b+x−1)/(a−1) where α + T = 0, and refuses a ≤ 1 there', () => {
    const params = { r: 0.5, alpha: 1e-320, a: 2.5, b: 3 };
    expect(expectedPurchasesIfAlive(params, { x: 4, T: 0 }, 52)).toBeCloseTo(8.5 / 1.5, 12);
    const error = (() => {
      try {
        expectedPurchasesIfAlive({ ...params, a: 0.8 }, { x: 0, T: 0 }, 52);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(TermError);
    expect(error).toMatchObject({ input: { x: 0, T: 0, t: 52 } });
    expect((error as TermError).reason).toMatch(/infinite/);
  });

  it('refuses parameters outside the model with a reason rather than NaN', () => {
    expect(() =>
      expectedPurchasesIfAlive({ r: 0, alpha: 1, a: 1, b: 1 }, { x: 0, T: 1 }, 1),
    ).toThrow(TermError);
  });

  it('grows from 0 at the slope (r+x)/(α+T) and is continuous across the series/integral switch', () => {
    const params = { r: 0.5, alpha: 4, a: 0.8, b: 2.5 };
    const t = 1e-6;
    expect(expectedPurchasesIfAlive(params, { x: 3, T: 10 }, t) / t).toBeCloseTo(3.5 / 14, 6);
    // z = t/(α+T+t) = 0.9 at t = 9(α+T): values a hair either side agree.
    const below = expectedPurchasesIfAlive(params, { x: 1, T: 2 }, 54 * (1 - 1e-9));
    const above = expectedPurchasesIfAlive(params, { x: 1, T: 2 }, 54 * (1 + 1e-9));
    expect(Math.abs(above / below - 1)).toBeLessThan(1e-8);
  });
});

describe('tanh-sinh integration over (0, 1)', () => {
  it('integrates Beta densities with singular ends to 1 and their means to a/(a+b)', () => {
    // B(a, b) from mpmath at 30 digits.
    for (const [a, b, beta] of [
      [0.2, 0.3, 7.748481388736765],
      [0.8, 2.5, 0.5767444360655443],
      [5, 0.05, 18.05274362917972],
    ] as const) {
      const logB = Math.log(beta);
      const density = (logP: number, logQ: number) => (a - 1) * logP + (b - 1) * logQ - logB;
      expect(integrateUnitInterval({ logDensity: density, value: () => 1 })).toBeCloseTo(1, 11);
      expect(integrateUnitInterval({ logDensity: density, value: (p) => p })).toBeCloseTo(
        a / (a + b),
        11,
      );
    }
  });
});
