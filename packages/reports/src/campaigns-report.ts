import type { CampaignFunnel, CampaignsReport } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { DAY_MS, FROM, num, ratio, resolveRange, round2, TO } from './report-range.js';
import { hashPartSql, profiledTouchesSql, profileHashSql } from './report-sources.js';

export interface CampaignsReportInput {
  from?: string | undefined;
  to?: string | undefined;
  campaign?: string | undefined;
  attributionDays: number;
  currency: string;
}

const ACTIONS = ['sent', 'delivered', 'opened', 'clicked', 'bounced', 'unsubscribed', 'complained'];

/**
 * Campaigns whose first send falls in [`{from:Int64}`, `{to:Int64}`) (only `{campaign:String}`
 * unless ''), oldest first: the funnels below read only these.
 */
const CAMPAIGNS_SQL = `
    SELECT campaign, toUnixTimestamp64Milli(min(timestamp)) AS first_sent
    FROM report_touches
    WHERE type = 'email' AND action = 'sent'
        AND ({campaign:String} = '' OR campaign = {campaign:String})
    GROUP BY campaign
    HAVING min(timestamp) >= ${FROM} AND min(timestamp) < ${TO}
    ORDER BY first_sent, campaign`;

/**
 * The recipients who reached each step of the funnel of the `{campaigns:Array(String)}`, at
 * whatever time they did, counted by their profiles' 128-bit hashes in parts (see
 * profileHashSql).
 */
const FUNNEL_SQL = `
    SELECT campaign,
        ${ACTIONS.map((action) => `sumIf(recipients, action = '${action}') AS ${action}`).join(', ')}
    FROM (
        SELECT campaign, action, ${hashPartSql('recipient')} AS part,
            uniqExact(recipient) AS recipients
        FROM (
            SELECT campaign, action, ${profileHashSql('profile')} AS recipient
            FROM (${profiledTouchesSql("t.type = 'email' AND t.campaign IN {campaigns:Array(String)}")})
        )
        GROUP BY campaign, action, part
    )
    GROUP BY campaign`;

/**
 * Last-click attribution: each order goes to the campaign whose email the customer clicked
 * last at or before it, if that click is at most `{windowMs:Int64}` older. Only orders and
 * clicks from the first click on one of the `{campaigns:Array(String)}` to the window's end
 * after the last one are read: a click before that span can only be followed by one of them
 * or by none that counts, and a later one can be no order's.
 */
const ATTRIBUTED_SQL = `
    WITH (SELECT (min(timestamp), max(timestamp) + toIntervalMillisecond({windowMs:Int64}))
        FROM report_touches
        WHERE type = 'email' AND action = 'clicked' AND campaign IN {campaigns:Array(String)}
    ) AS span
    SELECT c.campaign AS campaign, uniqExact(p.profile) AS ordered, count() AS orders,
        toFloat64(sum(p.amount)) AS revenue
    FROM (
        SELECT profile, timestamp, amount
        FROM (${profiledTouchesSql("t.type = 'purchase' AND t.timestamp BETWEEN span.1 AND span.2")})
    ) AS p
    ASOF INNER JOIN (
        SELECT profile, campaign, timestamp
        FROM (${profiledTouchesSql(
          "t.type = 'email' AND t.action = 'clicked' AND t.timestamp BETWEEN span.1 AND span.2",
        )})
    ) AS c ON p.profile = c.profile AND p.timestamp >= c.timestamp
    WHERE p.timestamp <= c.timestamp + toIntervalMillisecond({windowMs:Int64})
        AND c.campaign IN {campaigns:Array(String)}
    GROUP BY campaign`;

type Counts = Omit<CampaignFunnel, 'rates'>;

function withRates(counts: Counts): CampaignFunnel {
  return {
    ...counts,
    rates: {
      delivery: ratio(counts.delivered, counts.sent),
      open: ratio(counts.opened, counts.delivered),
      click: ratio(counts.clicked, counts.delivered),
      clickToOpen: ratio(counts.clicked, counts.opened),
      order: ratio(counts.ordered, counts.clicked),
      bounce: ratio(counts.bounced, counts.sent),
      unsubscribe: ratio(counts.unsubscribed, counts.delivered),
      complaint: ratio(counts.complained, counts.delivered),
    },
  };
}

/** The email funnel of each campaign sent in the period, with the orders it brought. */
export async function readCampaignsReport(
  store: Store,
  input: CampaignsReportInput,
): Promise<CampaignsReport> {
  const range = await resolveRange(store, input);
  const sent = await store.query<{ campaign: string; first_sent: unknown }>(CAMPAIGNS_SQL, {
    ...range,
    campaign: input.campaign ?? '',
  });
  const params = {
    campaigns: sent.map((row) => row.campaign),
    windowMs: input.attributionDays * DAY_MS,
  };
  const [funnels, attributed] =
    sent.length === 0
      ? [[], []]
      : await Promise.all([
          store.query<Record<string, unknown> & { campaign: string }>(FUNNEL_SQL, params),
          store.query<{ campaign: string; ordered: unknown; orders: unknown; revenue: unknown }>(
            ATTRIBUTED_SQL,
            params,
          ),
        ]);
  const funnelOf = new Map(funnels.map((row) => [row.campaign, row]));
  const byCampaign = new Map(attributed.map((row) => [row.campaign, row]));
  const campaigns = sent.map(({ campaign, first_sent }) => {
    const row: Record<string, unknown> = funnelOf.get(campaign) ?? {};
    const orders = byCampaign.get(campaign);
    const counts: Counts = {
      sent: num(row.sent),
      delivered: num(row.delivered),
      opened: num(row.opened),
      clicked: num(row.clicked),
      ordered: num(orders?.ordered),
      bounced: num(row.bounced),
      unsubscribed: num(row.unsubscribed),
      complained: num(row.complained),
      orders: num(orders?.orders),
      revenue: round2(num(orders?.revenue)),
    };
    return {
      campaignId: campaign,
      firstSentAt: new Date(num(first_sent)).toISOString(),
      ...withRates(counts),
    };
  });
  const total = (key: keyof Counts) => campaigns.reduce((sum, campaign) => sum + campaign[key], 0);
  const totals = withRates({
    sent: total('sent'),
    delivered: total('delivered'),
    opened: total('opened'),
    clicked: total('clicked'),
    ordered: total('ordered'),
    bounced: total('bounced'),
    unsubscribed: total('unsubscribed'),
    complained: total('complained'),
    orders: total('orders'),
    revenue: round2(total('revenue')),
  });
  return {
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    attributionDays: input.attributionDays,
    currency: input.currency,
    totals,
    campaigns,
  };
}
