/** The parameters synthetic-build.ts draws customers from (time unit: week). */
export const SYNTHETIC_TRUTH = {
  bgNbd: { r: 0.75, alpha: 13, a: 0.8, b: 2.4 },
  gammaGamma: { p: 6, q: 4, gamma: 40 },
  timeUnit: 'week',
} as const;
