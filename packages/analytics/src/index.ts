export {
  bgNbdLogLikelihood,
  bgNbdMeanLogLikelihood,
  conditionalExpectedPurchases,
  expectedPurchasesIfAlive,
  expectedPurchasesNewCustomer,
  fitBgNbd,
  probabilityAlive,
  type BgNbdFit,
  type BgNbdParams,
  type RepeatSummary,
  type WeightedSummary,
} from './bgnbd.js';
export {
  conditionalExpectedValue,
  fitGammaGamma,
  gammaGammaLogLikelihood,
  gammaGammaMeanLogLikelihood,
  populationMeanValue,
  usableForSpend,
  type GammaGammaFit,
  type GammaGammaParams,
  type SpendSummary,
} from './gamma-gamma.js';
export {
  DAYS_PER_UNIT,
  TIME_UNITS,
  customerValue,
  discountRatePerUnit,
  horizonTerms,
  type CustomerValue,
  type HorizonTerms,
  type TimeUnit,
} from './clv.js';
export { hyp2f1, lnBeta, lnGamma, logSumExp, SeriesError } from './special.js';
export { nelderMead, type MinimizeResult, type NelderMeadOptions } from './nelder-mead.js';
