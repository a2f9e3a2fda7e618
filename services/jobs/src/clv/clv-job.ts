import {
  DAYS_PER_UNIT,
  TIME_UNITS,
  conditionalExpectedPurchases,
  discountRatePerUnit,
  fitBgNbd,
  fitGammaGamma,
  horizonTerms,
  populationMeanValue,
  type BgNbdFit,
  type TimeUnit,
} from '@rapport/analytics';
import type { Store } from '@rapport/store';
import { z } from 'zod';
import { defineJob } from '../job.js';
import {
  distinctAgesSql,
  fitSpendSql,
  fitTripletsSql,
  holdoutSql,
  scoreSql,
  summarizeSql,
  totalsSql,
} from './clv-sql.js';

const DAY_MS = 86_400_000;

/** `2024-12-31` means the end of that day (UTC); a date-time means that instant. */
const instantParam = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'must be a date (YYYY-MM-DD) or an ISO-8601 date-time with offset',
  })
  .optional()
  .transform((value): number | undefined => {
    if (value === undefined) return undefined;
    return /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(value) + DAY_MS - 1 : Date.parse(value);
  });

/** Parameters of a clv run; each documented with its default (README, "CLV"). */
export const clvParams = z
  .object({
    /** Score as of this time (default now); orders after it are ignored. */
    asOf: instantParam.transform((value): number => value ?? Date.now()),
    /** The unit t_x, T and the horizon are measured in. */
    timeUnit: z.enum(TIME_UNITS).default('week'),
    /** How far ahead expected orders, value and CLV look, in time units. */
    horizon: z.coerce.number().int().min(1).max(520).default(52),
    /** Annual discount rate of future spend, converted to the time unit. */
    discountRate: z.coerce.number().min(0).max(1).default(0.1),
    /** Holdout cut-off: fit on orders before it, predict orders after it up to asOf. */
    calibrationEnd: instantParam,
    /** Customers the models are fitted on (a fixed hash sample); all are scored. */
    sampleSize: z.coerce.number().int().min(100).max(10_000_000).default(200_000),
  })
  .refine((p) => p.calibrationEnd === undefined || p.calibrationEnd < p.asOf, {
    message: 'calibrationEnd must be before asOf',
    path: ['calibrationEnd'],
  });
export type ClvParams = z.output<typeof clvParams>;

interface Triplet {
  x: number;
  tx_days: number;
  t_days: number;
  customers: number;
}

function toWeighted(rows: Triplet[], unitDays: number) {
  return rows.map((row) => ({
    x: Number(row.x),
    tx: Number(row.tx_days) / unitDays,
    T: Number(row.t_days) / unitDays,
    weight: Number(row.customers),
  }));
}

function describeFit(fit: BgNbdFit) {
  return {
    params: fit.params,
    logLikelihood: fit.logLikelihood,
    customers: fit.customers,
    iterations: fit.iterations,
    converged: fit.converged,
  };
}

/**
 * The holdout check: fit on the histories up to the calibration end, predict each
 * customer's orders between it and the as-of time, compare with the orders placed.
 * Reported overall and by number of repeat orders in the calibration period (0…6, 7+).
 */
async function holdoutCheck(
  store: Store,
  input: { asOf: number; calibrationEnd: number; sampleSize: number; unitDays: number },
) {
  const rows = await store.query<Triplet & { actual: number }>(holdoutSql(), {
    asOf: input.asOf,
    calibrationEnd: input.calibrationEnd,
    sampleSize: input.sampleSize,
  });
  const data = toWeighted(rows, input.unitDays);
  const repeaters = data.filter((row) => row.x > 0).reduce((sum, row) => sum + row.weight, 0);
  if (data.length === 0 || repeaters === 0) {
    return { skipped: 'no repeat orders before the calibration end' as const };
  }
  const fit = fitBgNbd(data);
  const t = (input.asOf - input.calibrationEnd) / DAY_MS / input.unitDays;
  const bins = new Map<string, { customers: number; actual: number; predicted: number }>();
  let actual = 0;
  let predicted = 0;
  rows.forEach((row, i) => {
    const history = data[i];
    if (!history) return;
    const each = conditionalExpectedPurchases(fit.params, history, t);
    const key = history.x >= 7 ? '7+' : String(history.x);
    const bin = bins.get(key) ?? { customers: 0, actual: 0, predicted: 0 };
    bin.customers += history.weight;
    bin.actual += Number(row.actual);
    bin.predicted += each * history.weight;
    bins.set(key, bin);
    actual += Number(row.actual);
    predicted += each * history.weight;
  });
  return {
    calibrationEnd: new Date(input.calibrationEnd).toISOString(),
    periodLength: t,
    fit: describeFit(fit),
    customers: fit.customers,
    actualOrders: actual,
    predictedOrders: predicted,
    /** (predicted − actual) / actual over the whole holdout sample. */
    relativeError: actual > 0 ? (predicted - actual) / actual : null,
    byRepeatOrders: [...bins.entries()]
      .sort(([a], [b]) => (a === '7+' ? 1 : b === '7+' ? -1 : Number(a) - Number(b)))
      .map(([repeatOrders, bin]) => ({
        repeatOrders,
        customers: bin.customers,
        actualPerCustomer: bin.actual / bin.customers,
        predictedPerCustomer: bin.predicted / bin.customers,
      })),
  };
}

/**
 * Customer lifetime value: BG/NBD for the number of future orders and whether the customer
 * is still active, Gamma-Gamma for their value. Summaries and scores are computed in
 * ClickHouse; only the fits (on grouped samples) and the hypergeometric terms per distinct
 * (x, T) are computed here.
 */
export const clvJob = defineJob({
  name: 'clv',
  description:
    'Customer lifetime value (BG/NBD + Gamma-Gamma): P(alive), expected orders, value and discounted CLV over a horizon, with a holdout check',
  params: clvParams,
  phases: ['summarize', 'fit', 'score', 'holdout'],
  async run(context, params: ClvParams) {
    const { store, runId } = context;
    const { asOf, timeUnit, horizon, discountRate, sampleSize } = params;
    const unit: TimeUnit = timeUnit;
    const unitDays = DAYS_PER_UNIT[unit];
    const ratePerUnit = discountRatePerUnit(discountRate, unit);
    const calibrationEnd = params.calibrationEnd ?? asOf - horizon * unitDays * DAY_MS;

    await context.phase('summarize', () => store.command(summarizeSql(), { runId, asOf }));

    const { bgNbd, gammaGamma, triplets } = await context.phase('fit', async () => {
      const rows = await store.query<Triplet>(fitTripletsSql(), { runId, sampleSize });
      const data = toWeighted(rows, unitDays);
      if (!data.some((row) => row.x > 0)) {
        throw new Error('no customer has a repeat order by the as-of time: nothing to fit');
      }
      const spend = await store.query<{ x: number; mean_value: number }>(fitSpendSql(), {
        runId,
        sampleSize,
      });
      const gg = fitGammaGamma(
        spend.map((row) => ({ x: Number(row.x), meanValue: Number(row.mean_value) })),
      );
      if (!(gg.params.q > 1)) {
        throw new Error(
          `the spend model's q is ${gg.params.q.toFixed(3)} ≤ 1: mean order value is unbounded; CLV is not defined`,
        );
      }
      return { bgNbd: fitBgNbd(data), gammaGamma: gg, triplets: rows.length };
    });

    const scored = await context.phase('score', async () => {
      const ages = await store.query<{ x: number; t_days: number }>(distinctAgesSql(), { runId });
      const lines = ages.map((row) => {
        const terms = horizonTerms({
          params: bgNbd.params,
          x: Number(row.x),
          T: Number(row.t_days) / unitDays,
          horizon,
          discountRate: ratePerUnit,
        });
        return JSON.stringify({
          run_id: runId,
          x: Number(row.x),
          t_days: Number(row.t_days),
          purchases_if_alive: terms.purchasesIfAlive,
          discounted_if_alive: terms.discountedIfAlive,
        });
      });
      for (let i = 0; i < lines.length; i += 50_000) {
        await store.insertJsonLines(
          'clv_terms',
          Buffer.from(lines.slice(i, i + 50_000).join('\n')),
        );
      }
      const { r, alpha, a, b } = bgNbd.params;
      const { p, q, gamma } = gammaGamma.params;
      await store.command(scoreSql(), {
        runId,
        asOf,
        unitDays,
        r,
        alpha,
        a,
        b,
        p,
        q,
        gamma,
      });
      const [totals] = await store.query<{
        customers: number;
        total_expected_orders: number;
        total_expected_value: number;
        total_clv: number;
        mean_p_alive: number;
        not_finite: number;
      }>(totalsSql(), { runId });
      if (Number(totals?.not_finite ?? 0) > 0) {
        throw new Error(`${totals?.not_finite} customers got a non-finite score`);
      }
      return { totals, distinctAges: ages.length };
    });
    const customers = Number(scored.totals?.customers ?? 0);
    context.wrote(customers);

    const holdout = await context.phase('holdout', () =>
      holdoutCheck(store, { asOf, calibrationEnd, sampleSize, unitDays }),
    );

    return {
      asOf: new Date(asOf).toISOString(),
      timeUnit: unit,
      unitDays,
      horizon,
      discountRate,
      discountRatePerUnit: ratePerUnit,
      customers,
      sample: { sampleSize, triplets, distinctAges: scored.distinctAges },
      bgNbd: describeFit(bgNbd),
      gammaGamma: {
        params: gammaGamma.params,
        logLikelihood: gammaGamma.logLikelihood,
        customers: gammaGamma.customers,
        iterations: gammaGamma.iterations,
        converged: gammaGamma.converged,
        populationMeanValue: populationMeanValue(gammaGamma.params),
      },
      totals: {
        expectedOrders: Number(scored.totals?.total_expected_orders ?? 0),
        expectedValue: Number(scored.totals?.total_expected_value ?? 0),
        clv: Number(scored.totals?.total_clv ?? 0),
        meanPAlive: Number(scored.totals?.mean_p_alive ?? 0),
      },
      holdout,
    };
  },
});
