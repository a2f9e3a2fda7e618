import type { OverviewReport } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { profiledEventsSql } from './profiled-events-sql.js';
import { daysOf, FROM, num, resolveRange, round2, TO, type ReportRange } from './report-range.js';

export interface OverviewReportInput {
  from?: string | undefined;
  to?: string | undefined;
  channel?: string | undefined;
  currency: string;
}

/**
 * Parameters of every query below: `{from:Int64}`, `{to:Int64}` (epoch ms, `to` excluded) and
 * `{channel:String}` ('' for every channel).
 */
const IN_RANGE = `e.timestamp >= ${FROM} AND e.timestamp < ${TO}
    AND ({channel:String} = '' OR e.channel = {channel:String})`;

const EVENTS_SQL = `
    SELECT toString(toDate(e.timestamp)) AS day, toString(e.type) AS type,
        toString(e.channel) AS channel, count() AS events
    FROM events AS e
    WHERE e.type != 'identity_unlink' AND ${IN_RANGE}
    GROUP BY day, type, channel ORDER BY day, type, channel`;

/**
 * Distinct profiles per day, Monday-started week and month, and over the whole period, in one
 * pass over the period's events.
 */
const ACTIVE_SQL = `
    SELECT g.1 AS grain, g.2 AS period, uniqExact(profile) AS profiles
    FROM (SELECT DISTINCT toDate(timestamp) AS day, profile FROM (${profiledEventsSql(IN_RANGE)}))
    ARRAY JOIN [('day', toString(day)), ('week', toString(toMonday(day))),
        ('month', toString(toStartOfMonth(day))), ('all', '')] AS g
    GROUP BY grain, period`;

const ORDERS_SQL = `
    SELECT toString(toDate(e.timestamp)) AS day,
        countIf(e.type = 'purchase') AS orders,
        toFloat64(sumIf(e.amount, e.type = 'purchase')) AS revenue,
        toFloat64(sumIf(e.amount, e.type = 'refund')) AS refunded
    FROM events AS e
    WHERE e.type IN ('purchase', 'refund') AND ${IN_RANGE}
    GROUP BY day`;

/**
 * Customers ordering each day, new (their first order ever, on any channel, was that day) or
 * returning; and over the period (`day` ''): new (first order in it) or returning (ordered
 * before it).
 */
const CUSTOMERS_SQL = `
    SELECT g.1 AS period,
        uniqExactIf(o.profile, g.2) AS new, uniqExactIf(o.profile, g.3) AS returning
    FROM (
        SELECT DISTINCT toDate(timestamp) AS day, profile
        FROM (${profiledEventsSql(`e.type = 'purchase' AND ${IN_RANGE}`)})
    ) AS o
    INNER JOIN (
        SELECT profile, min(timestamp) AS first_order
        FROM (${profiledEventsSql("e.type = 'purchase'")}) GROUP BY profile
    ) AS f ON f.profile = o.profile
    ARRAY JOIN [
        (toString(o.day), toDate(f.first_order) = o.day, toDate(f.first_order) < o.day),
        ('', f.first_order >= ${FROM}, f.first_order < ${FROM})] AS g
    GROUP BY period`;

/** Activity, orders and customers of a period, per day. */
export async function readOverviewReport(
  store: Store,
  input: OverviewReportInput,
): Promise<OverviewReport> {
  const range = await resolveRange(store, input);
  const params = { ...range, channel: input.channel ?? '' };
  const [events, active, orders, customers] = await Promise.all([
    store.query<{ day: string; type: string; channel: string; events: unknown }>(
      EVENTS_SQL,
      params,
    ),
    store.query<{ grain: string; period: string; profiles: unknown }>(ACTIVE_SQL, params),
    store.query<{ day: string; orders: unknown; revenue: unknown; refunded: unknown }>(
      ORDERS_SQL,
      params,
    ),
    store.query<{ period: string; new: unknown; returning: unknown }>(CUSTOMERS_SQL, params),
  ]);
  const dailyOrders = ordersByDay(range, orders);
  const sum = (pick: (row: (typeof dailyOrders)[number]) => number) =>
    round2(dailyOrders.reduce((total, row) => total + pick(row), 0));
  const byGrain = (grain: string) =>
    active
      .filter((row) => row.grain === grain)
      .map((row) => ({ period: row.period, profiles: num(row.profiles) }))
      .sort((a, b) => a.period.localeCompare(b.period));
  const customerTotals = customers.find((row) => row.period === '');
  const byDay = new Map(customers.map((row) => [row.period, row]));
  return {
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    channel: input.channel ?? null,
    currency: input.currency,
    totals: {
      events: events.reduce((total, row) => total + num(row.events), 0),
      activeProfiles: num(active.find((row) => row.grain === 'all')?.profiles),
      orders: dailyOrders.reduce((total, row) => total + row.orders, 0),
      revenue: sum((row) => row.revenue),
      refunded: sum((row) => row.refunded),
      netRevenue: sum((row) => row.netRevenue),
      newCustomers: num(customerTotals?.new),
      returningCustomers: num(customerTotals?.returning),
    },
    events: events.map((row) => ({
      day: row.day,
      type: row.type,
      channel: row.channel,
      events: num(row.events),
    })),
    activeProfiles: {
      daily: fillDays(range, byGrain('day')),
      weekly: byGrain('week'),
      monthly: byGrain('month'),
    },
    orders: dailyOrders,
    customers: daysOf(range).map((day) => ({
      day,
      new: num(byDay.get(day)?.new),
      returning: num(byDay.get(day)?.returning),
    })),
  };
}

function fillDays(range: ReportRange, rows: { period: string; profiles: number }[]) {
  const byDay = new Map(rows.map((row) => [row.period, row.profiles]));
  return daysOf(range).map((period) => ({ period, profiles: byDay.get(period) ?? 0 }));
}

function ordersByDay(
  range: ReportRange,
  rows: { day: string; orders: unknown; revenue: unknown; refunded: unknown }[],
): OverviewReport['orders'] {
  const byDay = new Map(rows.map((row) => [row.day, row]));
  return daysOf(range).map((day) => {
    const row = byDay.get(day);
    const revenue = round2(num(row?.revenue));
    const refunded = round2(num(row?.refunded));
    return {
      day,
      orders: num(row?.orders),
      revenue,
      refunded,
      netRevenue: round2(revenue - refunded),
    };
  });
}
