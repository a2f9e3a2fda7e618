import { DAY, isoSeconds, toEpochMs, YEAR } from './time.js';

/** Units of each supported currency per US dollar, used to price the catalogue locally. */
export const CURRENCY_PER_USD: Readonly<Record<string, number>> = {
  USD: 1,
  EUR: 0.92,
  GBP: 0.79,
  CAD: 1.36,
  AUD: 1.52,
  CHF: 0.88,
  SEK: 10.5,
  JPY: 150,
};

/**
 * Exchange rates into US dollars for the supported currencies, in the form the engine reads
 * from RAPPORT_CURRENCY_RATES (e.g. "EUR=1.087,GBP=1.266").
 */
export function currencyRatesToUsd(
  codes: readonly string[] = Object.keys(CURRENCY_PER_USD),
): string {
  return codes
    .filter((code) => code !== 'USD')
    .map((code) => `${code}=${(1 / (CURRENCY_PER_USD[code] ?? NaN)).toFixed(4)}`)
    .join(',');
}

export interface GeneratorOptions {
  /** Same seed, same events. A safe integer; default 1. */
  seed?: number;
  /** People to generate, anonymous visitors included; default 1,000. */
  customers?: number;
  /** Last instant of the period; default 2024-12-31T23:59:59Z. */
  end?: Date | string | number;
  /** First instant of the period; default two years before `end`. */
  start?: Date | string | number;
  /** Share of people who identify (sign up, log in); default 0.35. */
  identifyRate?: number;
  /** Share of identified people who buy at least once; default 0.5. */
  buyerRate?: number;
  /**
   * Relative weights of buyers' currencies, e.g. `{ USD: 0.8, EUR: 0.15, GBP: 0.05 }`.
   * Default all USD, which an engine without configured exchange rates accepts. Supported:
   * the keys of CURRENCY_PER_USD.
   */
  currencies?: Readonly<Record<string, number>>;
  /**
   * Each buyer's repeat-purchase rate λ (purchases per year while active) is drawn from
   * Gamma(shape, rate), mean shape / rate; default shape 0.75, rate 0.25 (mean 3 a year).
   */
  purchaseRate?: { shape: number; rate: number };
  /**
   * Each buyer's dropout probability p is drawn from Beta(a, b), mean a / (a + b); after each
   * repeat purchase the buyer becomes inactive for good with probability p. Default a 0.8, b 2.4.
   */
  dropout?: { a: number; b: number };
  /**
   * Order values are lognormal around each buyer's own median, in US dollars (converted for
   * other currencies): the buyer's log-median is drawn from N(ln median, customerSigma) and each
   * order from N(log-median, sigma). Default median 60, sigma 0.5, customerSigma 0.4.
   */
  orderValue?: { median: number; sigma: number; customerSigma: number };
  /** Share of orders refunded in part or in full; default 0.05. */
  refundRate?: number;
  /** Email campaigns sent per month to subscribed customers; default 2 (0 for none). */
  emailCampaignsPerMonth?: number;
  /** Base URL of the shop whose pages are viewed; default https://shop.example. */
  site?: string;
}

export interface ResolvedOptions {
  seed: number;
  customers: number;
  start: number;
  end: number;
  identifyRate: number;
  buyerRate: number;
  currencies: readonly (readonly [string, number])[];
  purchaseRate: { shape: number; rate: number };
  dropout: { a: number; b: number };
  orderValue: { median: number; sigma: number; customerSigma: number };
  refundRate: number;
  emailCampaignsPerMonth: number;
  site: string;
}

export const DEFAULT_END = '2024-12-31T23:59:59Z';

function share(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (!(result >= 0 && result <= 1))
    throw new RangeError(`${name} must be within 0 and 1, got ${result}`);
  return result;
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  }
  return value;
}

/** Fills in the defaults and checks every option, throwing a RangeError naming the culprit. */
export function resolveOptions(options: GeneratorOptions = {}): ResolvedOptions {
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const customers = options.customers ?? 1000;
  if (!Number.isSafeInteger(customers) || customers < 0) {
    throw new RangeError(`customers must be a whole number, got ${customers}`);
  }
  const end = toEpochMs(options.end ?? DEFAULT_END, 'end');
  let start: number;
  if (options.start === undefined) {
    const date = new Date(end);
    date.setUTCFullYear(date.getUTCFullYear() - 2);
    start = date.getTime();
  } else {
    start = toEpochMs(options.start, 'start');
  }
  if (!(start < end))
    throw new RangeError(`start (${isoSeconds(start)}) must be before end (${isoSeconds(end)})`);
  if (end - start < 7 * DAY || end - start > 50 * YEAR) {
    throw new RangeError('the period must be between a week and 50 years long');
  }

  const weights = Object.entries(options.currencies ?? { USD: 1 }).map(
    ([code, weight]) => [code.toUpperCase(), weight] as const,
  );
  for (const [code, weight] of weights) {
    if (CURRENCY_PER_USD[code] === undefined) {
      throw new RangeError(
        `currency ${code} is not supported; use ${Object.keys(CURRENCY_PER_USD).join(', ')}`,
      );
    }
    if (!(weight >= 0) || !Number.isFinite(weight)) {
      throw new RangeError(`the weight of ${code} must be a number ≥ 0, got ${weight}`);
    }
  }
  if (!weights.some(([, weight]) => weight > 0)) {
    throw new RangeError('currencies needs at least one currency with a positive weight');
  }

  const purchaseRate = options.purchaseRate ?? { shape: 0.75, rate: 0.25 };
  positive(purchaseRate.shape, 'purchaseRate.shape');
  positive(purchaseRate.rate, 'purchaseRate.rate');
  const dropout = options.dropout ?? { a: 0.8, b: 2.4 };
  positive(dropout.a, 'dropout.a');
  positive(dropout.b, 'dropout.b');
  const orderValue = options.orderValue ?? { median: 60, sigma: 0.5, customerSigma: 0.4 };
  positive(orderValue.median, 'orderValue.median');
  if (!(orderValue.sigma >= 0) || !(orderValue.customerSigma >= 0)) {
    throw new RangeError('orderValue.sigma and orderValue.customerSigma must be ≥ 0');
  }
  const emailCampaignsPerMonth = options.emailCampaignsPerMonth ?? 2;
  if (!(emailCampaignsPerMonth >= 0 && emailCampaignsPerMonth <= 31)) {
    throw new RangeError(
      `emailCampaignsPerMonth must be within 0 and 31, got ${emailCampaignsPerMonth}`,
    );
  }
  const site = (options.site ?? 'https://shop.example').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/\s]+$/.test(site)) {
    throw new RangeError(`site must be a base URL such as https://shop.example, got ${site}`);
  }

  return {
    seed,
    customers,
    start,
    end,
    identifyRate: share(options.identifyRate, 0.35, 'identifyRate'),
    buyerRate: share(options.buyerRate, 0.5, 'buyerRate'),
    currencies: weights,
    purchaseRate: { ...purchaseRate },
    dropout: { ...dropout },
    orderValue: { ...orderValue },
    refundRate: share(options.refundRate, 0.05, 'refundRate'),
    emailCampaignsPerMonth,
    site,
  };
}
