import { horizonTerms, TermError, type BgNbdParams } from '@rapport/analytics';

/** The customers who share one (x, T in days), as distinctAgesSql returns them. */
export interface AgeGroup {
  x: number;
  t_days: number;
  customers: number;
  example_tx_days: number;
}

/** A history whose horizon terms could not be computed: its customers go unscored. */
export interface UnscoredHistory {
  x: number;
  /** In the run's time unit, and in whole days. */
  T: number;
  tDays: number;
  /**
   * The t_x of one of the customers with it, in the time unit. No customer is named: a run
   * record is kept whole, where an erasure could not take a name out.
   */
  exampleTx: number;
  customers: number;
  reason: string;
}

/** Histories listed in the run record; the count of customers covers them all. */
const LISTED = 20;

/**
 * The horizon terms of every (x, T) of the run, as clv_terms rows. A term that cannot be
 * computed fails the customers who share that history, with the reason, and not the run.
 */
export function computeTerms(input: {
  runId: string;
  groups: readonly AgeGroup[];
  params: BgNbdParams;
  unitDays: number;
  horizon: number;
  discountRate: number;
}) {
  const { runId, groups, params, unitDays, horizon, discountRate } = input;
  const lines: string[] = [];
  const unscored: UnscoredHistory[] = [];
  for (const group of groups) {
    const x = Number(group.x);
    const tDays = Number(group.t_days);
    try {
      const terms = horizonTerms({ params, x, T: tDays / unitDays, horizon, discountRate });
      if (!Number.isFinite(terms.purchasesIfAlive) || !Number.isFinite(terms.discountedIfAlive)) {
        throw new TermError('the expected purchases are not finite', {
          x,
          T: tDays / unitDays,
          t: horizon,
        });
      }
      lines.push(
        JSON.stringify({
          run_id: runId,
          x,
          t_days: tDays,
          purchases_if_alive: terms.purchasesIfAlive,
          discounted_if_alive: terms.discountedIfAlive,
        }),
      );
    } catch (error) {
      if (!(error instanceof TermError)) throw error;
      unscored.push({
        x,
        T: tDays / unitDays,
        tDays,
        exampleTx: Number(group.example_tx_days) / unitDays,
        customers: Number(group.customers),
        reason: error.message,
      });
    }
  }
  return { lines, unscored };
}

/** What the run record says of the unscored customers. */
export function describeUnscored(unscored: readonly UnscoredHistory[]) {
  return {
    customers: unscored.reduce((sum, history) => sum + history.customers, 0),
    histories: unscored.length,
    listed: [...unscored].sort((p, q) => q.customers - p.customers).slice(0, LISTED),
  };
}
