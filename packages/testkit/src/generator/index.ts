export {
  generateCustomer,
  generateCustomers,
  generateEvents,
  type GenerateEventsOptions,
} from './generate.js';
export {
  CURRENCY_PER_USD,
  DEFAULT_END,
  currencyRatesToUsd,
  resolveOptions,
  type GeneratorOptions,
  type ResolvedOptions,
} from './options.js';
export type { BuyerTruth, CustomerTruth, GeneratedCustomer, PersonRole } from './types.js';
export { buildCatalogue, type Catalogue, type CatalogueItem, type Category } from './catalogue.js';
export { Random, WeightedTable } from './prng.js';
export {
  beta,
  exponential,
  gamma,
  geometric,
  lognormal,
  normal,
  poisson,
} from './distributions.js';
export {
  BGNBD_BUYERS_DEFAULTS,
  generateBgNbdBuyers,
  type BgNbdBuyer,
  type BgNbdBuyerTruth,
  type BgNbdBuyersOptions,
} from './bgnbd-buyers.js';
