import type { ChannelsReport } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { num, ratio, resolveRange, round2, type ReportRange } from './report-range.js';
import { IN_PERIOD, partsOf, profiledDailySql } from './report-sources.js';

export { VISIT_TYPES } from './report-sources.js';

export interface ChannelsReportInput {
  from?: string | undefined;
  to?: string | undefined;
  channel?: string | undefined;
  campaign?: string | undefined;
  currency: string;
}

/**
 * A visit is a profile's UTC day of activity on one channel, tagged with the first campaign
 * tag (source, medium, name) seen on it, '' for untagged. Parameters: `{from:Int64}`,
 * `{to:Int64}`, `{channel:String}` and `{campaign:String}` ('' for all).
 */
function taggedVisitsSql(range: ReportRange): string {
  const tag = partsOf("ifNull(tag_order, '')");
  return `
    SELECT profile, day, channel, visit_orders, visit_revenue,
        (base64Decode(${tag}[2]), base64Decode(${tag}[3]), base64Decode(${tag}[4])) AS tag
    FROM (
        SELECT profile, day, toString(channel) AS channel, sum(orders) AS visit_orders,
            sum(revenue) AS visit_revenue, min(first_tag) AS tag_order
        FROM (${profiledDailySql(
          range,
          `d.visits > 0 AND ${IN_PERIOD} AND ({channel:String} = '' OR d.channel = {channel:String})`,
        )})
        GROUP BY profile, day, channel
    )
    WHERE {campaign:String} = '' OR tag.3 = {campaign:String}`;
}

// Distinct profiles are counted by their 128-bit SipHash, as uniqExact does for a string
// itself: hashed once per visit rather than once per grouping set.
const FIGURES = `count() AS visits, uniqExact(profile_hash) AS profiles,
        uniqExactIf(profile_hash, startsWith(profile, 'c:')) AS identified,
        sum(visit_orders) AS orders, toFloat64(sum(visit_revenue)) AS revenue,
        countIf(visit_orders > 0) AS converted`;

/**
 * The figures per channel (`by` 'channel') and per campaign tag (`by` 'tag') from one pass over
 * the visits; grouping() marks the columns a row is not grouped by.
 */
const figuresSql = (visits: string) => `
    SELECT if(grouping(channel, source, medium, name) = 7, 'channel', 'tag') AS by,
        channel, source, medium, name, ${FIGURES}
    FROM (
        SELECT *, sipHash128(profile) AS profile_hash, tag.1 AS source, tag.2 AS medium,
            tag.3 AS name
        FROM (${visits})
    )
    GROUP BY GROUPING SETS ((channel), (source, medium, name))
    ORDER BY visits DESC, channel, source, medium, name`;

interface FigureRow {
  visits: unknown;
  profiles: unknown;
  identified: unknown;
  orders: unknown;
  revenue: unknown;
  converted: unknown;
}

const figures = (row: FigureRow) => ({
  visits: num(row.visits),
  profiles: num(row.profiles),
  identified: num(row.identified),
  orders: num(row.orders),
  revenue: round2(num(row.revenue)),
  conversionRate: ratio(num(row.converted), num(row.visits)),
});

/** Visits, profiles, customers, orders and revenue per channel and per campaign tag. */
export async function readChannelsReport(
  store: Store,
  input: ChannelsReportInput,
): Promise<ChannelsReport> {
  const range = await resolveRange(store, input);
  const params = {
    ...range,
    channel: input.channel ?? '',
    campaign: input.campaign ?? '',
  };
  const rows = await store.query<
    FigureRow & { by: string; channel: string; source: string; medium: string; name: string }
  >(figuresSql(taggedVisitsSql(range)), params);
  const channels = rows.filter((row) => row.by === 'channel');
  const campaigns = rows.filter((row) => row.by === 'tag');
  return {
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    channel: input.channel ?? null,
    campaign: input.campaign ?? null,
    currency: input.currency,
    channels: channels.map((row) => ({ channel: row.channel, ...figures(row) })),
    campaigns: campaigns.map((row) => ({
      source: row.source,
      medium: row.medium,
      name: row.name,
      ...figures(row),
    })),
  };
}
