import type { EventInput } from '@rapport/schemas';
import { beta, exponential, gamma, lognormal, normal } from './distributions.js';
import { DEFAULT_END } from './options.js';
import { Random } from './prng.js';
import { DAY, isoSeconds, toEpochMs, YEAR } from './time.js';

/**
 * Buyers and nothing else, buying exactly as BG/NBD says (Fader, Hardie & Lee, 2005), for
 * checking a CLV fit against the parameters the data was drawn from:
 * - each customer's first order falls uniformly in [start, end], so some are days (or
 *   hours) old at `end`, and some first and only orders fall on its last day;
 * - while active, orders follow a Poisson process of rate λ per day, λ ~ Gamma(r, rate α);
 * - after each repeat order the customer leaves for good with probability p ~ Beta(a, b);
 * - order values are lognormal around each customer's own median, drawn lognormal too.
 * Times are continuous: two orders can fall on one day.
 */
export interface BgNbdBuyersOptions {
  /** Same seed, same orders. Default 1. */
  seed?: number;
  customers: number;
  /** Default: one year before `end`. */
  start?: Date | string | number;
  /** Default 2024-12-31T23:59:59Z; score as of it. */
  end?: Date | string | number;
  /** BG/NBD with α in days. Default r 0.5, α 30 days, a 0.8, b 2.5. */
  purchases?: { r: number; alphaDays: number; a: number; b: number };
  /** In US dollars. Default median 60, sigma 0.5 per order, customerSigma 0.4 between customers. */
  orderValue?: { median: number; sigma: number; customerSigma: number };
  /** Customer ids are `<prefix>-<n>`; default `bgnbd`. */
  prefix?: string;
}

export const BGNBD_BUYERS_DEFAULTS = {
  purchases: { r: 0.5, alphaDays: 30, a: 0.8, b: 2.5 },
  orderValue: { median: 60, sigma: 0.5, customerSigma: 0.4 },
} as const;

export interface BgNbdBuyerTruth {
  customerId: string;
  /** Orders per day while active. */
  lambdaPerDay: number;
  p: number;
  firstOrderAt: string;
  /** Orders in the period, the first included. */
  orders: number;
  /** The repeat order after which the customer left, if they did by `end`. */
  droppedOutAt?: string;
}

export interface BgNbdBuyer {
  events: EventInput[];
  truth: BgNbdBuyerTruth;
}

/** Lazily, one customer at a time; customer n is the same whatever else is drawn. */
export function* generateBgNbdBuyers(options: BgNbdBuyersOptions): Generator<BgNbdBuyer> {
  const seed = options.seed ?? 1;
  const end = toEpochMs(options.end ?? DEFAULT_END, 'end');
  const start =
    options.start === undefined
      ? end - Math.round(YEAR / DAY) * DAY
      : toEpochMs(options.start, 'start');
  if (!(start < end)) throw new RangeError('start must be before end');
  const { r, alphaDays, a, b } = options.purchases ?? BGNBD_BUYERS_DEFAULTS.purchases;
  const value = options.orderValue ?? BGNBD_BUYERS_DEFAULTS.orderValue;
  const prefix = options.prefix ?? 'bgnbd';
  for (let n = 0; n < options.customers; n++) {
    const random = new Random(seed, n);
    const customerId = `${prefix}-${n}`;
    const lambdaPerDay = gamma(random, r, 1 / alphaDays);
    const p = beta(random, a, b);
    const logMedian = Math.log(value.median) + normal(random, 0, value.customerSigma);
    const times = [random.uniform(start, end)];
    let droppedOutAt: number | undefined;
    for (let at = times[0] ?? start; times.length < 10_000;) {
      at += exponential(random, Math.max(lambdaPerDay, 1e-12)) * DAY;
      if (at > end) break;
      times.push(at);
      if (random.chance(p)) {
        droppedOutAt = at;
        break;
      }
    }
    const events = times.map((at, i): EventInput => {
      const orderId = `${customerId}-${i + 1}`;
      const revenue = Math.max(
        0.01,
        Math.round(lognormal(random, logMedian, value.sigma) * 100) / 100,
      );
      return {
        type: 'purchase',
        eventId: orderId,
        customerId,
        timestamp: isoSeconds(at),
        channel: 'web',
        properties: { orderId, revenue, currency: 'USD' },
      };
    });
    yield {
      events,
      truth: {
        customerId,
        lambdaPerDay,
        p,
        firstOrderAt: isoSeconds(times[0] ?? start),
        orders: times.length,
        ...(droppedOutAt === undefined ? {} : { droppedOutAt: isoSeconds(droppedOutAt) }),
      },
    };
  }
}
