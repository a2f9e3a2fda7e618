/** The parameters synthetic-build.ts draws customers from (time unit: week). */
export const SYNTHETIC_TRUTH = {
  bgNbd: { r: 0.75, alpha: 13, a: 0.8, b: 2.4 },
  gammaGamma: { p: 6, q: 4, gamma: 40 },
  timeUnit: 'week',
} as const;

/**
 * The parameters of `--arrivals year` (testkit generateBgNbdBuyers): α is 30 days, 30/7 in
 * weeks; order values are lognormal (median 60, σ 0.5, customers' medians σ 0.4), so there is
 * no Gamma-Gamma truth to compare with.
 */
export const YEAR_ARRIVALS_TRUTH = {
  generator: { r: 0.5, alphaDays: 30, a: 0.8, b: 2.5 },
  bgNbd: { r: 0.5, alpha: 30 / 7, a: 0.8, b: 2.5 },
  orderValue: { lognormal: { median: 60, sigma: 0.5, customerSigma: 0.4 } },
  timeUnit: 'week',
} as const;
