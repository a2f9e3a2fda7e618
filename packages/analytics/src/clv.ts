import {
  expectedPurchasesIfAlive,
  probabilityAlive,
  type BgNbdParams,
  type RepeatSummary,
} from './bgnbd.js';
import { conditionalExpectedValue, type GammaGammaParams } from './gamma-gamma.js';

export const TIME_UNITS = ['day', 'week', 'month'] as const;
export type TimeUnit = (typeof TIME_UNITS)[number];

/** Length of a time unit in days; a month is a twelfth of a mean Gregorian year. */
export const DAYS_PER_UNIT: Record<TimeUnit, number> = {
  day: 1,
  week: 7,
  month: 365.2425 / 12,
};

/** An annual discount rate as the rate per time unit: (1 + annual)^(unit/year) − 1. */
export function discountRatePerUnit(annualRate: number, unit: TimeUnit): number {
  return Math.pow(1 + annualRate, DAYS_PER_UNIT[unit] / 365.2425) - 1;
}

/**
 * The horizon terms shared by every customer with the same x and T:
 * - `purchasesIfAlive` = G(H), the expected purchases over the horizon if alive now;
 * - `discountedIfAlive` = Σₖ₌₁..H (G(k) − G(k−1)) / (1+d)ᵏ, the purchases expected in each
 *   period k, discounted to now.
 * A customer's expected purchases and CLV are these times P(alive) (and value).
 */
export interface HorizonTerms {
  purchasesIfAlive: number;
  discountedIfAlive: number;
}

export function horizonTerms(input: {
  params: BgNbdParams;
  x: number;
  T: number;
  /** Whole time units. */
  horizon: number;
  /** Per time unit. */
  discountRate: number;
}): HorizonTerms {
  const { params, x, T, horizon, discountRate } = input;
  let previous = 0;
  let discounted = 0;
  for (let k = 1; k <= horizon; k++) {
    const current = expectedPurchasesIfAlive(params, { x, T }, k);
    discounted += (current - previous) / Math.pow(1 + discountRate, k);
    previous = current;
  }
  return { purchasesIfAlive: previous, discountedIfAlive: discounted };
}

export interface CustomerValue {
  pAlive: number;
  /** Expected purchases over the horizon. */
  expectedPurchases: number;
  /** Gamma-Gamma expected value of one future order. */
  expectedOrderValue: number;
  /** Expected spend over the horizon, undiscounted. */
  expectedValue: number;
  /** Expected spend over the horizon, each period discounted: the customer lifetime value. */
  clv: number;
}

/**
 * A customer's scores: CLV = P(alive) · Σₖ (G(k) − G(k−1)) / (1+d)ᵏ · E[M | x, m].
 * The spend model's independence of the purchase process lets value and count multiply.
 */
export function customerValue(input: {
  bgNbd: BgNbdParams;
  gammaGamma: GammaGammaParams;
  customer: RepeatSummary & { meanValue: number };
  terms: HorizonTerms;
}): CustomerValue {
  const { bgNbd, gammaGamma, customer, terms } = input;
  const pAlive = probabilityAlive(bgNbd, customer);
  const expectedOrderValue = conditionalExpectedValue(gammaGamma, customer);
  const expectedPurchases = pAlive * terms.purchasesIfAlive;
  return {
    pAlive,
    expectedPurchases,
    expectedOrderValue,
    expectedValue: expectedPurchases * expectedOrderValue,
    clv: pAlive * terms.discountedIfAlive * expectedOrderValue,
  };
}
