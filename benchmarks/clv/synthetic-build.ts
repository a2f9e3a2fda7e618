/**
 * A store of purchases only, for the CLV benchmark at a given number of *customers* (the
 * generated data set of benchmarks/lib/dataset.ts has about one buyer in six people). Each
 * customer buys as BG/NBD and Gamma-Gamma say, with known parameters, so the benchmark also
 * shows how well a run recovers them. Two kinds (synthetic-truth.ts):
 * - `--arrivals spread` (default): λ ~ Gamma(r = 0.75, rate α = 13 weeks), p ~ Beta(0.8, 2.4),
 *   order value ~ Gamma(6, rate ν), ν ~ Gamma(4, rate 40) (mean order value 80); first orders
 *   spread uniformly over the two years up to DATASET_END.
 * - `--arrivals year`: the testkit's BG/NBD buyers (generateBgNbdBuyers) with r = 0.5,
 *   α = 30 days, a = 0.8, b = 2.5 and lognormal order values, first orders uniform over the
 *   year up to DATASET_END, so many are days old at the as-of time and some first and only
 *   orders fall on its last day.
 * Events go through the ingest validation and normalisation steps, in inserts of 20,000 rows.
 *
 *   tsx benchmarks/clv/synthetic-build.ts --data-dir DIR --customers 1000000 [--arrivals year]
 *
 * Prints {"synthetic": {customers, orders, seconds}}.
 */
import { parseArgs } from 'node:util';
import { createNormalizeEventStep, createValidateEventStep } from '@rapport/ingest';
import { migrationsDir } from '@rapport/schemas';
import { migrate } from '@rapport/store';
import { Random, beta, exponential, gamma, generateBgNbdBuyers } from '@rapport/testkit';
import { DATASET_END, DATASET_RECEIVED_AT } from '../lib/dataset.js';
import { SYNTHETIC_TRUTH, YEAR_ARRIVALS_TRUTH } from './synthetic-truth.js';
import { openDatasetStore } from '../lib/dataset-store.js';

const WEEK_MS = 7 * 86_400_000;
const END = Date.parse(DATASET_END);
const START = END - 104 * WEEK_MS;

function* purchases(customers: number, seed: number) {
  const { bgNbd, gammaGamma } = SYNTHETIC_TRUTH;
  for (let i = 0; i < customers; i++) {
    const random = new Random(seed, i);
    const lambda = gamma(random, bgNbd.r, 1 / bgNbd.alpha);
    const p = beta(random, bgNbd.a, bgNbd.b);
    const nu = gamma(random, gammaGamma.q, 1 / gammaGamma.gamma);
    const customerId = `syn-${i}`;
    let n = 0;
    const order = (at: number) => {
      n++;
      const revenue = Math.max(0.01, Math.round(gamma(random, gammaGamma.p, 1 / nu) * 100) / 100);
      return {
        type: 'purchase',
        eventId: `${customerId}-${n}`,
        customerId,
        timestamp: new Date(at).toISOString(),
        properties: { orderId: `${customerId}-${n}`, revenue, currency: 'USD' },
      };
    };
    let at = random.uniform(START, END);
    yield order(at);
    for (;;) {
      at += exponential(random, Math.max(lambda, 1e-12)) * WEEK_MS;
      if (at > END) break;
      yield order(at);
      if (random.next() < p) break;
    }
  }
}

/** The testkit's buyers arriving through the year up to DATASET_END. */
function* yearArrivals(customers: number, seed: number) {
  const { r, alphaDays, a, b } = YEAR_ARRIVALS_TRUTH.generator;
  const buyers = generateBgNbdBuyers({
    seed,
    customers,
    end: DATASET_END,
    purchases: { r, alphaDays, a, b },
    prefix: 'year',
  });
  for (const buyer of buyers) yield* buyer.events;
}

const { values } = parseArgs({
  strict: true,
  options: {
    'data-dir': { type: 'string' },
    customers: { type: 'string' },
    seed: { type: 'string', default: '1' },
    arrivals: { type: 'string', default: 'spread' },
  },
});
const dataDir = values['data-dir'];
const customers = Number(values.customers);
if (!dataDir || !Number.isSafeInteger(customers) || customers < 1) {
  throw new Error('--data-dir and --customers N are required');
}
if (values.arrivals !== 'spread' && values.arrivals !== 'year') {
  throw new Error('--arrivals is spread or year');
}
const source = values.arrivals === 'year' ? yearArrivals : purchases;
const started = performance.now();
const store = await openDatasetStore(dataDir);
try {
  await migrate(store, migrationsDir);
  const validate = createValidateEventStep();
  const normalize = createNormalizeEventStep({
    reportingCurrency: 'USD',
    currencyRates: { USD: 1 },
  });
  let orders = 0;
  let lines: string[] = [];
  let pending: Promise<void> | undefined;
  const flush = async () => {
    await pending;
    if (lines.length === 0) return;
    pending = store.insertJsonLines('events', Buffer.from(lines.join('\n')));
    pending.catch(() => undefined);
    lines = [];
  };
  for (const event of source(customers, Number(values.seed))) {
    const valid = validate(event);
    const stored = valid.ok ? normalize(valid.value, DATASET_RECEIVED_AT) : valid;
    if (!stored.ok)
      throw new Error(`a synthetic event is refused: ${JSON.stringify(stored.errors)}`);
    lines.push(JSON.stringify(stored.value));
    orders++;
    if (lines.length >= 20_000) {
      await flush();
      if (orders % 500_000 < 20_000)
        process.stderr.write(`  ${orders.toLocaleString('en-US')} orders…\n`);
    }
  }
  await flush();
  await pending;
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${JSON.stringify({ synthetic: { customers, orders, seconds } })}\n`);
} finally {
  await store.close();
}
