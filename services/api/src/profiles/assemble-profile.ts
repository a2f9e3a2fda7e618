import type {
  ClvScore,
  LifecycleStage,
  Profile,
  ProfileCluster,
  ProfileSegment,
  ProfileStats,
} from '@rapport/schemas';
import type { RfmScore } from '../reports/rfm-report.js';
import type { StatsRow } from './profile-query.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface LifecycleRules {
  /** An identified customer with no activity for this many days is lapsed. */
  lapsedAfterDays: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null);
const round2 = (value: number) => Math.round(value * 100) / 100;

export function lifecycleOf(input: {
  identified: boolean;
  orders: number;
  lastSeen: number | null;
  now: number;
  rules: LifecycleRules;
}): LifecycleStage {
  if (!input.identified) return 'visitor';
  if (
    input.lastSeen !== null &&
    input.now - input.lastSeen > input.rules.lapsedAfterDays * DAY_MS
  ) {
    return 'lapsed';
  }
  if (input.orders === 0) return 'lead';
  return input.orders === 1 ? 'customer' : 'repeat';
}

function statsOf(row: StatsRow | undefined): ProfileStats {
  const count = (map: Record<string, number> | undefined, key: string) => Number(map?.[key] ?? 0);
  const orders = Number(row?.orders ?? 0);
  const revenue = round2(Number(row?.revenue ?? 0));
  const refunded = round2(Number(row?.refunded ?? 0));
  const sent = count(row?.email, 'sent');
  const [categories = [], items = []] = row?.categories ?? [];
  return {
    firstSeen: row ? iso(Number(row.first_seen)) : null,
    lastSeen: row ? iso(Number(row.last_seen)) : null,
    events: Number(row?.events ?? 0),
    eventsByType: Object.fromEntries(
      Object.entries(row?.by_type ?? {}).map(([k, v]) => [k, Number(v)]),
    ),
    eventsByChannel: Object.fromEntries(
      Object.entries(row?.by_channel ?? {}).map(([k, v]) => [k, Number(v)]),
    ),
    visits: Number(row?.visits ?? 0),
    pageViews: count(row?.by_type, 'page_view'),
    searches: count(row?.by_type, 'search'),
    interactions: count(row?.by_type, 'interaction'),
    orders,
    revenue,
    refunds: Number(row?.refunds ?? 0),
    refundedAmount: refunded,
    netRevenue: round2(revenue - refunded),
    averageOrderValue: orders > 0 ? round2(revenue / orders) : null,
    lastOrder:
      row && orders > 0 && row.last_order_at !== null
        ? {
            orderId: row.last_order[0],
            at: iso(Number(row.last_order_at)),
            value: round2(Number(row.last_order[1])),
          }
        : null,
    email: {
      sent,
      delivered: count(row?.email, 'delivered'),
      opened: count(row?.email, 'opened'),
      clicked: count(row?.email, 'clicked'),
      bounced: count(row?.email, 'bounced'),
      unsubscribed: count(row?.email, 'unsubscribed'),
      complained: count(row?.email, 'complained'),
      openRate: ratio(count(row?.email, 'opened'), sent),
      clickRate: ratio(count(row?.email, 'clicked'), sent),
    },
    topCategories: categories
      .map((category, index) => ({ category, items: Number(items[index] ?? 0) }))
      .sort((a, b) => b.items - a.items || (a.category < b.category ? -1 : 1))
      .slice(0, 5),
  };
}

/** A profile from the store's aggregates; a pure function of its inputs. */
export function assembleProfile(input: {
  customerId: string | null;
  anonymousIds: string[];
  row: StatsRow | undefined;
  traits: Record<string, unknown>;
  currency: string;
  rules: LifecycleRules;
  now: number;
  asOf?: number;
  rfm?: RfmScore | null;
  clv?: ClvScore | null;
  cluster?: ProfileCluster | null;
  /** Segments the profile is in now; none in as-of profiles. */
  segments?: ProfileSegment[];
}): Profile {
  const stats = statsOf(input.row);
  return {
    customerId: input.customerId,
    anonymousIds: input.anonymousIds,
    lifecycle: lifecycleOf({
      identified: input.customerId !== null,
      orders: stats.orders,
      lastSeen: input.row ? Number(input.row.last_seen) : null,
      now: input.asOf ?? input.now,
      rules: input.rules,
    }),
    traits: input.traits,
    stats,
    currency: input.currency,
    rfm: input.rfm ?? null,
    cluster: input.asOf === undefined ? (input.cluster ?? null) : null,
    clv: input.clv ?? null,
    segments: input.asOf === undefined ? (input.segments ?? []) : [],
    updatedAt: input.row ? iso(Number(input.row.last_received)) : null,
    asOf: input.asOf === undefined ? null : iso(input.asOf),
  };
}
