import { z } from 'zod';
import { CHANNELS } from './events.js';
import { LIFECYCLE_STAGES } from './profile.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT_WITH_OFFSET =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A report bound as epoch ms: a day (`2024-03-01`, midnight UTC) or an ISO-8601 instant with
 * its offset. Null for anything else, an impossible date included.
 */
export function parseReportInstant(value: string): number | null {
  if (DATE.test(value)) {
    const ms = Date.parse(`${value}T00:00:00Z`);
    return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value ? null : ms;
  }
  if (!INSTANT_WITH_OFFSET.test(value)) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

const bound = (what: string) =>
  z
    .string()
    .max(40)
    .refine((value) => parseReportInstant(value) !== null, {
      message: 'must be a day (YYYY-MM-DD, UTC) or an ISO-8601 instant with offset',
    })
    .optional()
    .describe(what);

const rangeQuery = {
  from: bound('start of the period, included (default: 30 days before `to`)'),
  to: bound('end of the period, excluded (default: the day after the latest event, midnight UTC)'),
};
const channelQuery = z.enum(CHANNELS).optional().describe('only events on this channel');

export const overviewReportQuerySchema = z.object({ ...rangeQuery, channel: channelQuery });
export const lifecycleReportQuerySchema = z.object({ ...rangeQuery });
export const channelsReportQuerySchema = z.object({
  ...rangeQuery,
  channel: channelQuery,
  campaign: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('only visits tagged with this campaign name (utm_campaign)'),
});
export const campaignsReportQuerySchema = z.object({
  ...rangeQuery,
  campaign: z.string().min(1).max(200).optional().describe('only this email campaign id'),
  attributionDays: z.coerce
    .number()
    .int()
    .min(1)
    .max(90)
    .default(7)
    .describe('an order counts for the latest campaign clicked at most this many days before it'),
});
export const cohortsReportQuerySchema = z.object({
  from: bound('first orders from (default: 12 months before `to`, first of the month)'),
  to: rangeQuery.to,
  granularity: z.enum(['month', 'week']).default('month').describe('cohort and period length'),
});

const range = {
  from: z.string().describe('ISO-8601, UTC, included'),
  to: z.string().describe('ISO-8601, UTC, excluded'),
};
const money = z.number().describe('in the reporting currency, rounded to cents');
const count = z.number().int();
const day = z.string().describe('YYYY-MM-DD (UTC)');

export const overviewReportSchema = z.object({
  ...range,
  channel: z.string().nullable(),
  currency: z.string(),
  totals: z.object({
    events: count,
    activeProfiles: count,
    orders: count,
    revenue: money,
    refunded: money,
    netRevenue: money,
    newCustomers: count.describe('ordered in the period for the first time ever'),
    returningCustomers: count.describe('ordered in the period and had ordered before it'),
  }),
  events: z
    .array(z.object({ day, type: z.string(), channel: z.string(), events: count }))
    .describe('events per day, type and channel (days without events left out)'),
  activeProfiles: z.object({
    daily: z.array(z.object({ period: day, profiles: count })),
    weekly: z.array(z.object({ period: day.describe('the Monday'), profiles: count })),
    monthly: z.array(z.object({ period: day.describe('the first of the month'), profiles: count })),
  }),
  orders: z.array(
    z.object({ day, orders: count, revenue: money, refunded: money, netRevenue: money }),
  ),
  customers: z
    .array(z.object({ day, new: count, returning: count }))
    .describe('customers ordering each day: first order ever that day, or an earlier one'),
});
export type OverviewReport = z.infer<typeof overviewReportSchema>;

const STAGE = z.enum(LIFECYCLE_STAGES);
export const lifecycleReportSchema = z.object({
  ...range,
  lapsedAfterDays: count,
  stages: z.array(
    z.object({ stage: STAGE, start: count.describe('at `from`'), end: count.describe('at `to`') }),
  ),
  flows: z
    .array(z.object({ from: z.enum(['new', ...LIFECYCLE_STAGES]), to: STAGE, profiles: count }))
    .describe('profiles by stage at `from` and at `to`; `new` for those first seen in the period'),
  prospects: z.object({
    visitors: count,
    leads: count,
    sources: z
      .array(
        z.object({
          channel: z.string(),
          source: z.string(),
          medium: z.string(),
          visitors: count,
          leads: count,
        }),
      )
      .describe('where prospects came from: the channel and campaign tag of their first event'),
  }),
});
export type LifecycleReport = z.infer<typeof lifecycleReportSchema>;

const visitFigures = {
  visits: count.describe("a profile's day with activity on a channel"),
  profiles: count,
  identified: count.describe('profiles of known customers'),
  orders: count,
  revenue: money,
  conversionRate: z.number().describe('share of visits with an order'),
};
export const channelsReportSchema = z.object({
  ...range,
  channel: z.string().nullable(),
  campaign: z.string().nullable(),
  currency: z.string(),
  channels: z.array(z.object({ channel: z.string(), ...visitFigures })),
  campaigns: z
    .array(z.object({ source: z.string(), medium: z.string(), name: z.string(), ...visitFigures }))
    .describe("by the visit's first campaign tag; '' for untagged visits"),
});
export type ChannelsReport = z.infer<typeof channelsReportSchema>;

const funnel = z.object({
  sent: count,
  delivered: count,
  opened: count,
  clicked: count,
  ordered: count.describe('recipients with an order attributed to the campaign'),
  bounced: count,
  unsubscribed: count,
  complained: count,
  orders: count.describe('orders attributed to the campaign'),
  revenue: money.describe('of the attributed orders'),
  rates: z.object({
    delivery: z.number().describe('delivered / sent'),
    open: z.number().describe('opened / delivered'),
    click: z.number().describe('clicked / delivered'),
    clickToOpen: z.number().describe('clicked / opened'),
    order: z.number().describe('ordered / clicked'),
    bounce: z.number().describe('bounced / sent'),
    unsubscribe: z.number().describe('unsubscribed / delivered'),
    complaint: z.number().describe('complained / delivered'),
  }),
});
export type CampaignFunnel = z.infer<typeof funnel>;
export const campaignsReportSchema = z.object({
  ...range,
  attributionDays: count,
  currency: z.string(),
  totals: funnel.describe('recipients counted once per campaign'),
  campaigns: z.array(
    funnel.extend({ campaignId: z.string(), firstSentAt: z.string().describe('ISO-8601, UTC') }),
  ),
});
export type CampaignsReport = z.infer<typeof campaignsReportSchema>;

export const cohortsReportSchema = z.object({
  ...range,
  granularity: z.enum(['month', 'week']),
  currency: z.string(),
  cohorts: z.array(
    z.object({
      cohort: day.describe('start of the month or week (Monday) of the first order'),
      size: count,
      revenue: money.describe("the members' orders up to `to`"),
      revenuePerMember: money,
      periods: z
        .array(
          z.object({
            offset: count.describe('periods after the cohort’s own (0)'),
            customers: count.describe('members ordering in that period'),
            share: z.number(),
            revenue: money,
            revenuePerMember: money,
          }),
        )
        .describe('every period from the cohort’s own to the one holding `to`'),
    }),
  ),
});
export type CohortsReport = z.infer<typeof cohortsReportSchema>;
