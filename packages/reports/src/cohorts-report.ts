import type { CohortsReport } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { FROM, num, ratio, resolveRange, round2, TO } from './report-range.js';
import { profiledTouchesSql } from './report-sources.js';

export type CohortGranularity = 'month' | 'week';

export interface CohortsReportInput {
  from?: string | undefined;
  to?: string | undefined;
  granularity: CohortGranularity;
  currency: string;
}

const PERIOD_START: Record<CohortGranularity, (sql: string) => string> = {
  month: (sql) => `toStartOfMonth(${sql})`,
  week: (sql) => `toMonday(${sql})`,
};
const OFFSET: Record<CohortGranularity, (from: string, to: string) => string> = {
  month: (from, to) => `dateDiff('month', ${from}, ${to})`,
  week: (from, to) => `intDiv(dateDiff('day', ${from}, ${to}), 7)`,
};

/**
 * Customers whose first order ever falls in [`{from:Int64}`, `{to:Int64}`), by the period of
 * that order; for each later period up to `to`, how many of them ordered and for how much.
 */
function cohortsSql(granularity: CohortGranularity): string {
  const period = PERIOD_START[granularity];
  return `
    WITH orders AS (
        SELECT profile, timestamp, amount
        FROM (${profiledTouchesSql(`t.type = 'purchase' AND t.timestamp < ${TO}`)})
    ), members AS (
        SELECT profile, ${period('toDate(min(timestamp))')} AS cohort
        FROM orders GROUP BY profile
        HAVING min(timestamp) >= ${FROM}
    )
    SELECT toString(m.cohort) AS cohort,
        ${OFFSET[granularity]('m.cohort', period('toDate(o.timestamp)'))} AS offset,
        uniqExact(o.profile) AS customers, toFloat64(sum(o.amount)) AS revenue
    FROM orders AS o INNER JOIN members AS m ON m.profile = o.profile
    GROUP BY cohort, offset ORDER BY cohort, offset`;
}

/** The number of whole periods from the cohort's start to the one holding `lastMs`. */
function periodsUntil(cohort: string, lastMs: number, granularity: CohortGranularity): number {
  const start = new Date(`${cohort}T00:00:00Z`);
  const last = new Date(lastMs);
  if (granularity === 'week') {
    return Math.floor((lastMs - start.getTime()) / (7 * 86_400_000));
  }
  return (
    (last.getUTCFullYear() - start.getUTCFullYear()) * 12 +
    (last.getUTCMonth() - start.getUTCMonth())
  );
}

/** First-order cohorts: size, the share ordering again in each later period, revenue. */
export async function readCohortsReport(
  store: Store,
  input: CohortsReportInput,
): Promise<CohortsReport> {
  const range = await resolveRange(store, input, (to) => {
    const date = new Date(to - 1);
    return Date.UTC(date.getUTCFullYear() - 1, date.getUTCMonth() + 1, 1);
  });
  const rows = await store.query<{
    cohort: string;
    offset: unknown;
    customers: unknown;
    revenue: unknown;
  }>(cohortsSql(input.granularity), { ...range });
  const cohorts = new Map<string, Map<number, { customers: number; revenue: number }>>();
  for (const row of rows) {
    const periods =
      cohorts.get(row.cohort) ?? new Map<number, { customers: number; revenue: number }>();
    periods.set(num(row.offset), { customers: num(row.customers), revenue: num(row.revenue) });
    cohorts.set(row.cohort, periods);
  }
  return {
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    granularity: input.granularity,
    currency: input.currency,
    cohorts: [...cohorts].map(([cohort, periods]) => {
      const size = periods.get(0)?.customers ?? 0;
      const last = periodsUntil(cohort, range.to - 1, input.granularity);
      const revenue = [...periods.values()].reduce((sum, period) => sum + period.revenue, 0);
      return {
        cohort,
        size,
        revenue: round2(revenue),
        revenuePerMember: round2(ratio(revenue, size)),
        periods: Array.from({ length: last + 1 }, (_, offset) => {
          const period = periods.get(offset) ?? { customers: 0, revenue: 0 };
          return {
            offset,
            customers: period.customers,
            share: ratio(period.customers, size),
            revenue: round2(period.revenue),
            revenuePerMember: round2(ratio(period.revenue, size)),
          };
        }),
      };
    }),
  };
}
