import { z } from 'zod';
import { profileSegmentSchema } from './segments.js';

export const LIFECYCLE_STAGES = ['visitor', 'lead', 'customer', 'repeat', 'lapsed'] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

const money = z.number().describe('in the reporting currency, rounded to cents');
const instant = z.string().describe('ISO-8601, UTC');

export const profileStatsSchema = z.object({
  firstSeen: instant.nullable(),
  lastSeen: instant.nullable(),
  events: z.number().int(),
  eventsByType: z.record(z.string(), z.number().int()),
  eventsByChannel: z.record(z.string(), z.number().int()),
  visits: z.number().int().describe('days with at least one page view'),
  pageViews: z.number().int(),
  searches: z.number().int(),
  clicks: z.number().int(),
  interactions: z.number().int().describe('offline and assisted contacts'),
  orders: z.number().int().describe('purchase events'),
  revenue: money,
  refunds: z.number().int(),
  refundedAmount: money,
  netRevenue: money.describe('revenue minus refunds'),
  averageOrderValue: money.nullable(),
  lastOrder: z.object({ orderId: z.string(), at: instant, value: money }).nullable(),
  email: z.object({
    sent: z.number().int(),
    delivered: z.number().int(),
    opened: z.number().int(),
    clicked: z.number().int(),
    bounced: z.number().int(),
    unsubscribed: z.number().int(),
    complained: z.number().int(),
    openRate: z.number().nullable().describe('opened / sent'),
    clickRate: z.number().nullable().describe('clicked / sent'),
  }),
  categories: z
    .array(z.string())
    .describe('every category of purchased items, in alphabetical order'),
  topCategories: z
    .array(z.object({ category: z.string(), items: z.number().int() }))
    .describe('categories of purchased items, most bought first (at most 5)'),
});

export const rfmScoreSchema = z.object({
  runId: z.string(),
  asOf: instant,
  recencyDays: z.number().int(),
  frequency: z.number().int(),
  monetary: money,
  r: z.number().int(),
  f: z.number().int(),
  m: z.number().int(),
  score: z.string().describe('R, F and M scores, e.g. "545"'),
  segment: z.string(),
});

export const clvScoreSchema = z
  .object({
    runId: z.string(),
    asOf: instant,
    timeUnit: z.enum(['day', 'week', 'month']).describe('the unit tx, T and horizon are in'),
    horizon: z.number().int().describe('in time units'),
    orders: z.number().int(),
    x: z.number().int().describe('repeat orders (orders − 1)'),
    tx: z.number().describe('time of the last order, from the first'),
    T: z.number().describe('time from the first order to the as-of time'),
    meanRepeatValue: money.describe('mean value of the repeat orders; 0 without any'),
    pAlive: z.number().describe('probability the customer is still active (BG/NBD)'),
    expectedOrders: z.number().describe('expected orders over the horizon'),
    expectedOrderValue: money.describe('expected value of one future order (Gamma-Gamma)'),
    expectedValue: money.describe('expected spend over the horizon, undiscounted'),
    clv: money.describe('expected spend over the horizon, discounted to the as-of time'),
  })
  .describe('from the latest clv run');
export type ClvScore = z.infer<typeof clvScoreSchema>;

export const profileClusterSchema = z.object({
  runId: z.string(),
  cluster: z.number().int(),
  label: z.string().describe('what sets the cluster apart, in a few words'),
  computedAt: instant,
});
export type ProfileCluster = z.infer<typeof profileClusterSchema>;

export const profileSchema = z.object({
  customerId: z.string().nullable().describe('null for a visitor known only by anonymous id'),
  anonymousIds: z.array(z.string()).describe('anonymous ids linked to this customer'),
  lifecycle: z.enum(LIFECYCLE_STAGES),
  traits: z.record(z.string(), z.unknown()),
  stats: profileStatsSchema,
  currency: z.string().describe('the reporting currency of every amount'),
  rfm: rfmScoreSchema.nullable().describe('from the latest rfm run; null in as-of profiles'),
  cluster: profileClusterSchema.nullable().describe('from the latest clusters run'),
  clv: clvScoreSchema.nullable().describe('from the latest clv run; null in as-of profiles'),
  segments: z
    .array(profileSegmentSchema)
    .describe('segments the profile is in, by the latest segments run; empty in as-of profiles'),
  updatedAt: instant.nullable().describe('when the newest event of this profile was received'),
  asOf: instant.nullable().describe('the time this profile is as of, when asked for one'),
});
export type Profile = z.infer<typeof profileSchema>;
export type ProfileStats = z.infer<typeof profileStatsSchema>;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const dateOrDateTime = z
  .string()
  .refine(
    (value) =>
      DATE.test(value)
        ? !Number.isNaN(Date.parse(`${value}T00:00:00Z`))
        : z.iso.datetime({ offset: true }).safeParse(value).success,
    'expected a date (2024-06-30, meaning its end, UTC) or an ISO-8601 date-time with a time zone (2024-06-30T00:00:00Z)',
  );

/** Epoch ms of a date (its last millisecond, UTC, as jobs read `asOf`) or a date-time. */
export const asOfMs = (value: string): number =>
  Date.parse(DATE.test(value) ? `${value}T23:59:59.999Z` : value);

export const profileQuerySchema = z.object({
  asOf: dateOrDateTime
    .optional()
    .describe(
      'return the profile as it stood at this time (by event time); a date means its end, UTC',
    ),
});

export const customerLookupQuerySchema = z
  .object({
    email: z.string().min(1).max(320).optional(),
    phone: z.string().min(1).max(64).optional(),
  })
  .refine((query) => (query.email === undefined) !== (query.phone === undefined), {
    message: 'give exactly one of email or phone',
  });

export const customerLookupResponseSchema = z.object({
  customers: z.array(profileSchema),
});
