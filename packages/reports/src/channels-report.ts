import type { ChannelsReport } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { campaignTagSql, profiledEventsSql } from './profiled-events-sql.js';
import { FROM, num, ratio, resolveRange, round2, TO } from './report-range.js';

export interface ChannelsReportInput {
  from?: string | undefined;
  to?: string | undefined;
  channel?: string | undefined;
  campaign?: string | undefined;
  currency: string;
}

/** What the customer does on a visit; email deliveries, identifies and refunds are not visits. */
export const VISIT_TYPES = ['page_view', 'click', 'search', 'purchase', 'interaction', 'track'];

/**
 * A visit is a profile's UTC day of activity on one channel, tagged with the first campaign
 * tag (source, medium, name) seen on it. Parameters: `{from:Int64}`, `{to:Int64}`,
 * `{channel:String}` and `{campaign:String}` ('' for all), `{types:Array(String)}`.
 */
const VISITS_SQL = `
    SELECT profile, toDate(timestamp) AS day, toString(channel) AS channel,
        countIf(type = 'purchase') AS visit_orders,
        sumIf(amount, type = 'purchase') AS visit_revenue,
        -- Only contexts that mention a campaign are parsed (AND evaluates lazily), and the
        -- chosen one once more per visit.
        argMinIf(context, (timestamp, event_id),
            position(context, 'campaign') > 0 AND (${campaignTagSql('source')} != ''
                OR ${campaignTagSql('medium')} != '' OR ${campaignTagSql('name')} != '')
        ) AS tag_context
    FROM (${profiledEventsSql(`e.timestamp >= ${FROM} AND e.timestamp < ${TO}
        AND e.type IN {types:Array(String)}
        AND ({channel:String} = '' OR e.channel = {channel:String})`)})
    GROUP BY profile, day, channel`;

/** The visits with their tag (source, medium, name), '' for untagged. */
const TAGGED_VISITS_SQL = `
    SELECT profile, day, channel, visit_orders, visit_revenue,
        (JSONExtractString(tag_context, 'campaign', 'source'),
         JSONExtractString(tag_context, 'campaign', 'medium'),
         JSONExtractString(tag_context, 'campaign', 'name')) AS tag
    FROM (${VISITS_SQL})
    WHERE {campaign:String} = '' OR tag.3 = {campaign:String}`;

const FIGURES = `count() AS visits, uniqExact(profile) AS profiles,
        uniqExactIf(profile, startsWith(profile, 'c:')) AS identified,
        sum(visit_orders) AS orders, toFloat64(sum(visit_revenue)) AS revenue,
        countIf(visit_orders > 0) AS converted`;

const BY_CHANNEL_SQL = `
    SELECT channel, ${FIGURES} FROM (${TAGGED_VISITS_SQL}) GROUP BY channel ORDER BY visits DESC, channel`;

const BY_CAMPAIGN_SQL = `
    SELECT tag.1 AS source, tag.2 AS medium, tag.3 AS name, ${FIGURES}
    FROM (${TAGGED_VISITS_SQL}) GROUP BY source, medium, name ORDER BY visits DESC, source, medium, name`;

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
    types: VISIT_TYPES,
  };
  const [channels, campaigns] = await Promise.all([
    store.query<FigureRow & { channel: string }>(BY_CHANNEL_SQL, params),
    store.query<FigureRow & { source: string; medium: string; name: string }>(
      BY_CAMPAIGN_SQL,
      params,
    ),
  ]);
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
