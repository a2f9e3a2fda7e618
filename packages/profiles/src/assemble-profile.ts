import {
  isoOf,
  type ClvScore,
  type Profile,
  type ProfileCluster,
  type ProfileSegment,
} from '@rapport/schemas';
import type { ActivityRow, ClusterRow, ClvRow, ProfileRow, RfmRow } from './profile-row.js';

/** What a profile shows of the latest runs whose results it carries. */
export interface ProfileRuns {
  rfm: { runId: string } | null;
  clv: { runId: string; timeUnit: ClvScore['timeUnit']; horizon: number } | null;
  clusters: { runId: string; finishedAt: number } | null;
}

const present = (value: number | null): value is number => value !== null;

function rfmOf(row: RfmRow | null, run: ProfileRuns['rfm']): Profile['rfm'] {
  if (row === null) return null;
  const { rfm_recency_days: recencyDays, rfm_frequency: frequency, rfm_monetary: monetary } = row;
  if (!run || !present(recencyDays) || !present(frequency) || !present(monetary)) return null;
  return {
    runId: run.runId,
    asOf: isoOf(row.rfm_as_of_ms),
    recencyDays,
    frequency,
    monetary,
    r: row.rfm_r ?? 0,
    f: row.rfm_f ?? 0,
    m: row.rfm_m ?? 0,
    score: row.rfm_score ?? '',
    segment: row.rfm_segment ?? '',
  };
}

function clvOf(row: ClvRow | null, run: ProfileRuns['clv']): ClvScore | null {
  if (row === null) return null;
  if (!run || !present(row.clv)) return null;
  return {
    runId: run.runId,
    asOf: isoOf(row.clv_as_of_ms),
    timeUnit: run.timeUnit,
    horizon: run.horizon,
    orders: row.clv_orders,
    x: row.clv_x,
    tx: row.clv_t_x,
    T: row.clv_T,
    meanRepeatValue: row.clv_mean_value,
    pAlive: row.clv_p_alive ?? 0,
    expectedOrders: row.clv_expected_orders ?? 0,
    expectedOrderValue: row.clv_expected_order_value,
    expectedValue: row.clv_expected_value ?? 0,
    clv: row.clv,
  };
}

function clusterOf(row: ClusterRow | null, run: ProfileRuns['clusters']): ProfileCluster | null {
  if (row === null) return null;
  if (!run || !present(row.cluster)) return null;
  return {
    runId: run.runId,
    cluster: row.cluster,
    label: row.cluster_label,
    computedAt: isoOf(run.finishedAt),
  };
}

function parseTraits(traits: Record<string, string>): Record<string, unknown> {
  const parsed: Record<string, unknown> = {};
  for (const name of Object.keys(traits).sort()) {
    parsed[name] = JSON.parse(traits[name] ?? 'null') as unknown;
  }
  return parsed;
}

function statsOf(row: ActivityRow): Profile['stats'] {
  const seen = row.events > 0;
  return {
    firstSeen: seen ? isoOf(row.first_seen) : null,
    lastSeen: seen ? isoOf(row.last_seen) : null,
    events: row.events,
    eventsByType: row.by_type,
    eventsByChannel: row.by_channel,
    visits: row.visits,
    pageViews: row.page_views,
    searches: row.searches,
    clicks: row.clicks,
    interactions: row.interactions,
    orders: row.orders,
    revenue: row.revenue,
    refunds: row.refunds,
    refundedAmount: row.refunded,
    netRevenue: row.net_revenue,
    averageOrderValue: row.average_order_value,
    lastOrder:
      row.orders > 0 && row.last_order_at !== null
        ? { orderId: row.last_order_id, at: isoOf(row.last_order_at), value: row.last_order_value }
        : null,
    email: {
      sent: row.email_sent,
      delivered: row.email_delivered,
      opened: row.email_opened,
      clicked: row.email_clicked,
      bounced: row.email_bounced,
      unsubscribed: row.email_unsubscribed,
      complained: row.email_complained,
      openRate: row.email_open_rate,
      clickRate: row.email_click_rate,
    },
    categories: row.categories,
    topCategories: row.top_categories.map(([category, items]) => ({ category, items })),
  };
}

/**
 * A profile from its row: every value as the SQL computed it, so that the API, rules and
 * exports agree; nothing is recomputed or rounded here.
 */
export function assembleProfile(input: {
  row: ProfileRow;
  anonymousIds: string[];
  currency: string;
  /** The latest runs whose results the row joined; none in as-of profiles. */
  runs: ProfileRuns | null;
  /** Segments the profile is in now; none in as-of profiles. */
  segments: ProfileSegment[];
  asOf?: number;
}): Profile {
  const { runs } = input;
  const { activity, traits } = input.row;
  return {
    customerId: activity.customer_id === '' ? null : activity.customer_id,
    anonymousIds: input.anonymousIds,
    lifecycle: activity.lifecycle,
    traits: parseTraits(traits),
    stats: statsOf(activity),
    currency: input.currency,
    rfm: rfmOf(input.row.rfm, runs?.rfm ?? null),
    cluster: clusterOf(input.row.cluster, runs?.clusters ?? null),
    clv: clvOf(input.row.clv, runs?.clv ?? null),
    segments: input.segments,
    updatedAt: activity.events > 0 ? isoOf(activity.last_received_ms) : null,
    asOf: input.asOf === undefined ? null : isoOf(input.asOf),
  };
}
