import {
  DAYS_PER_UNIT,
  TIME_UNITS,
  discountRatePerUnit,
  fitBgNbd,
  fitGammaGamma,
  populationMeanValue,
  type TimeUnit,
} from '@rapport/analytics';
import { z } from 'zod';
import { defineJob, type JobContext } from '../job.js';
import { allowEmptyParam, instantParam } from '../job-params.js';
import { clvFailure, type ClvKnown } from './clv-failure.js';
import {
  defaultCalibrationEnd,
  describeFit,
  holdoutCheck,
  toWeighted,
  type Triplet,
} from './clv-holdout.js';
import {
  distinctAgesSql,
  fitSpendSql,
  fitTripletsSql,
  historyDaysSql,
  PURCHASE_GROUPINGS,
  repeatPurchase,
  scoreSql,
  summarizeSql,
  totalsSql,
} from './clv-sql.js';
import { computeTerms, describeUnscored, type AgeGroup } from './clv-terms.js';

const DAY_MS = 86_400_000;

/** Parameters of a clv run; each documented with its default (README, "CLV"). */
export const clvParams = z
  .object({
    /** Score as of this time (default now); orders after it are ignored. */
    asOf: instantParam.optional().transform((value): number => value ?? Date.now()),
    /** The unit t_x, T and the horizon are measured in. */
    timeUnit: z.enum(TIME_UNITS).default('week'),
    /** How far ahead expected orders, value and CLV look, in time units. */
    horizon: z.coerce.number().int().min(1).max(520).default(52),
    /** Annual discount rate of future spend, converted to the time unit. */
    discountRate: z.coerce.number().min(0).max(1).default(0.1),
    /** Holdout cut-off: fit on orders before it, predict orders after it up to asOf. */
    calibrationEnd: instantParam.optional(),
    /** What one purchase is: a customer's orders of one day (the model's) or every order. */
    purchaseGrouping: z.enum(PURCHASE_GROUPINGS).default('day'),
    /** Customers the models are fitted on (a fixed hash sample); all are scored. */
    sampleSize: z.coerce.number().int().min(100).max(10_000_000).default(200_000),
    /** Make a run that scores no one the latest results (see JobDefinition.scored). */
    allowEmpty: allowEmptyParam,
  })
  .refine((p) => p.calibrationEnd === undefined || p.calibrationEnd < p.asOf, {
    message: 'calibrationEnd must be before asOf',
    path: ['calibrationEnd'],
  });
export type ClvParams = z.output<typeof clvParams>;

interface RunSetting {
  context: JobContext;
  params: ClvParams;
  unitDays: number;
  ratePerUnit: number;
  /** Filled in as the run goes: the record of a run that fails. */
  known: ClvKnown;
}

/** Both models fitted on the sample; the purchase model first, so a failure keeps it. */
async function fitModels({ context, params, unitDays, known }: RunSetting) {
  const { store, runId } = context;
  const { sampleSize } = params;
  const rows = await store.query<Triplet>(fitTripletsSql(), { runId, sampleSize });
  const data = toWeighted(rows, unitDays);
  known.histories = data;
  if (!data.some((row) => row.x > 0)) {
    throw new Error(
      `no customer has a repeat purchase (${repeatPurchase(params.purchaseGrouping)}) by the as-of time: nothing to fit`,
    );
  }
  const bgNbd = fitBgNbd(data);
  known.bgNbd = bgNbd;
  const spend = await store.query<{ x: number; mean_value: number }>(fitSpendSql(), {
    runId,
    sampleSize,
  });
  const gammaGamma = fitGammaGamma(
    spend.map((row) => ({ x: Number(row.x), meanValue: Number(row.mean_value) })),
  );
  known.gammaGamma = gammaGamma;
  if (!(gammaGamma.params.q > 1)) {
    throw new Error(
      `the spend model's q is ${gammaGamma.params.q.toFixed(3)} ≤ 1: mean order value is unbounded; CLV is not defined`,
    );
  }
  delete known.histories;
  return { bgNbd, gammaGamma, triplets: rows.length };
}

/**
 * The horizon terms per distinct (x, T) into clv_terms, then every customer scored in SQL.
 * Customers whose terms cannot be computed are left out and named in the record.
 */
async function scoreCustomers(
  { context, params, unitDays, ratePerUnit }: RunSetting,
  fits: Awaited<ReturnType<typeof fitModels>>,
) {
  const { store, runId } = context;
  const groups = await store.query<AgeGroup>(distinctAgesSql(), { runId });
  const { lines, unscored } = computeTerms({
    runId,
    groups,
    params: fits.bgNbd.params,
    unitDays,
    horizon: params.horizon,
    discountRate: ratePerUnit,
  });
  for (let i = 0; i < lines.length; i += 50_000) {
    await store.insertJsonLines('clv_terms', Buffer.from(lines.slice(i, i + 50_000).join('\n')));
  }
  const { r, alpha, a, b } = fits.bgNbd.params;
  const { p, q, gamma } = fits.gammaGamma.params;
  const { asOf } = params;
  await store.command(scoreSql(), { runId, asOf, unitDays, r, alpha, a, b, p, q, gamma });
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
  return { totals, distinctAges: groups.length, unscored: describeUnscored(unscored) };
}

/** The holdout check, at calibrationEnd or, by default, as defaultCalibrationEnd says. */
async function checkHoldout({ context, params, unitDays }: RunSetting) {
  const { store, runId } = context;
  const { asOf, horizon, sampleSize } = params;
  let calibrationEnd = params.calibrationEnd;
  let chosenBy = 'param';
  if (calibrationEnd === undefined) {
    const [history] = await store.query<{ days: number }>(historyDaysSql(), { runId });
    const chosen = defaultCalibrationEnd({
      asOf,
      horizonMs: horizon * unitDays * DAY_MS,
      historyDays: Number(history?.days ?? 0),
    });
    calibrationEnd = chosen.calibrationEnd;
    chosenBy = chosen.chosenBy;
  }
  const check = await holdoutCheck(store, {
    asOf,
    calibrationEnd,
    sampleSize,
    unitDays,
    grouping: params.purchaseGrouping,
  });
  return { ...check, calibrationEndChosenBy: chosenBy };
}

/**
 * Customer lifetime value: BG/NBD for the number of future orders and whether the customer
 * is still active, Gamma-Gamma for their value. Summaries and scores are computed in
 * ClickHouse; only the fits (on grouped samples) and the hypergeometric terms per distinct
 * (x, T) are computed here. A run that fails says in which phase and why, and keeps what it
 * had fitted (ClvRunError).
 */
export const clvJob = defineJob({
  name: 'clv',
  description:
    'Customer lifetime value (BG/NBD + Gamma-Gamma): P(alive), expected orders, value and discounted CLV over a horizon, with a holdout check',
  params: clvParams,
  phases: ['summarize', 'fit', 'score', 'holdout'],
  scored: (summary) => Number(summary.customers),
  async run(context, params: ClvParams) {
    const { store, runId } = context;
    const { asOf, timeUnit, horizon, discountRate, sampleSize, purchaseGrouping } = params;
    const unit: TimeUnit = timeUnit;
    const unitDays = DAYS_PER_UNIT[unit];
    const ratePerUnit = discountRatePerUnit(discountRate, unit);
    const known: ClvKnown = {
      asOf: new Date(asOf).toISOString(),
      timeUnit: unit,
      unitDays,
      horizon,
      discountRate,
      discountRatePerUnit: ratePerUnit,
      purchaseGrouping,
    };
    const setting: RunSetting = { context, params, unitDays, ratePerUnit, known };
    let phase = 'summarize';
    const step = <T>(name: string, work: () => Promise<T>) => {
      phase = name;
      return context.phase(name, work);
    };
    try {
      await step('summarize', () => store.command(summarizeSql(purchaseGrouping), { runId, asOf }));
      const fits = await step('fit', () => fitModels(setting));
      const scored = await step('score', () => scoreCustomers(setting, fits));
      const customers = Number(scored.totals?.customers ?? 0);
      context.wrote(customers);
      const holdout = await step('holdout', () => checkHoldout(setting));
      const { bgNbd, gammaGamma } = fits;
      return {
        ...known,
        customers,
        sample: { sampleSize, triplets: fits.triplets, distinctAges: scored.distinctAges },
        unscored: scored.unscored,
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
    } catch (error) {
      throw clvFailure({ phase, error, known });
    }
  },
});
