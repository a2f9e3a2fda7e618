import {
  conditionalExpectedPurchases,
  fitBgNbd,
  FitError,
  TermError,
  type BgNbdFit,
} from '@rapport/analytics';
import type { Store } from '@rapport/store';
import { holdoutSql, repeatPurchase, type PurchaseGrouping } from './clv-sql.js';

const DAY_MS = 86_400_000;

export interface Triplet {
  x: number;
  tx_days: number;
  t_days: number;
  customers: number;
}

export function toWeighted(rows: readonly Triplet[], unitDays: number) {
  return rows.map((row) => ({
    x: Number(row.x),
    tx: Number(row.tx_days) / unitDays,
    T: Number(row.t_days) / unitDays,
    weight: Number(row.customers),
  }));
}

export function describeFit(fit: BgNbdFit) {
  return {
    params: fit.params,
    logLikelihood: fit.logLikelihood,
    customers: fit.customers,
    iterations: fit.iterations,
    converged: fit.converged,
  };
}

/**
 * The default holdout cut-off: `horizon` before the as-of time, unless that leaves the
 * calibration period shorter than the holdout (a log shorter than two horizons), then half
 * way between the first order and the as-of time. A calibration period of a day or two has
 * nothing to fit.
 */
export function defaultCalibrationEnd(input: {
  asOf: number;
  horizonMs: number;
  /** Whole days from the earliest first order to the as-of time. */
  historyDays: number;
}): { calibrationEnd: number; chosenBy: 'horizon' | 'half the history' } {
  const byHorizon = input.asOf - input.horizonMs;
  const half = input.asOf - Math.floor(input.historyDays / 2) * DAY_MS;
  return half > byHorizon
    ? { calibrationEnd: half, chosenBy: 'half the history' }
    : { calibrationEnd: byHorizon, chosenBy: 'horizon' };
}

/**
 * The holdout check: fit on the histories up to the calibration end, predict each
 * customer's orders between it and the as-of time, compare with the orders placed.
 * Reported overall and by number of repeat orders in the calibration period (0…6, 7+).
 * A check that cannot be made is reported as skipped, with the reason and what was fitted;
 * it never fails the run, whose scores do not depend on it.
 */
export async function holdoutCheck(
  store: Store,
  input: {
    asOf: number;
    calibrationEnd: number;
    sampleSize: number;
    unitDays: number;
    grouping: PurchaseGrouping;
  },
) {
  const rows = await store.query<Triplet & { actual: number }>(holdoutSql(input.grouping), {
    asOf: input.asOf,
    calibrationEnd: input.calibrationEnd,
    sampleSize: input.sampleSize,
  });
  const calibrationEnd = new Date(input.calibrationEnd).toISOString();
  const data = toWeighted(rows, input.unitDays);
  const repeaters = data.filter((row) => row.x > 0).reduce((sum, row) => sum + row.weight, 0);
  if (data.length === 0 || repeaters === 0) {
    return {
      calibrationEnd,
      skipped: `no repeat purchases (${repeatPurchase(input.grouping)}) before the calibration end`,
    };
  }
  let fit: BgNbdFit;
  try {
    fit = fitBgNbd(data);
  } catch (error) {
    if (!(error instanceof FitError)) throw error;
    return { calibrationEnd, skipped: error.message, fit: describeFit(error.fit) };
  }
  const t = (input.asOf - input.calibrationEnd) / DAY_MS / input.unitDays;
  const bins = new Map<string, { customers: number; actual: number; predicted: number }>();
  const unpredicted: { x: number; tx: number; T: number; customers: number; reason: string }[] = [];
  let actual = 0;
  let predicted = 0;
  rows.forEach((row, i) => {
    const history = data[i];
    if (!history) return;
    let each: number;
    try {
      each = conditionalExpectedPurchases(fit.params, history, t);
    } catch (error) {
      if (!(error instanceof TermError)) throw error;
      const { x, tx, T, weight } = history;
      unpredicted.push({ x, tx, T, customers: weight, reason: error.message });
      return;
    }
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
    calibrationEnd,
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
    ...(unpredicted.length > 0 ? { unpredicted: unpredicted.slice(0, 20) } : {}),
  };
}
