import { z } from 'zod';
import { MAX_AMOUNT, MAX_COUNT, MAX_SCORE, addressable } from './event-limits.js';

export * from './event-limits.js';

/** Event contract v1: the single source for validation, types and the generated JSON Schema. */

export const EVENT_TYPES = [
  'page_view',
  'click',
  'search',
  'email',
  'purchase',
  'refund',
  'identify',
  'interaction',
  'track',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Types the engine records itself and producers cannot send: an admin undoing a link. */
export const INTERNAL_EVENT_TYPES = ['identity_unlink'] as const;
export const STORED_EVENT_TYPES = [...EVENT_TYPES, ...INTERNAL_EVENT_TYPES] as const;
export type StoredEventType = (typeof STORED_EVENT_TYPES)[number];

export const CHANNELS = [
  'web',
  'mobile',
  'email',
  'store',
  'phone',
  'chat',
  'support',
  'social',
  'other',
] as const;
export type Channel = (typeof CHANNELS)[number];

export const EMAIL_ACTIONS = [
  'sent',
  'delivered',
  'opened',
  'clicked',
  'bounced',
  'unsubscribed',
  'complained',
] as const;

export const INTERACTION_KINDS = [
  'store_visit',
  'call',
  'chat',
  'ticket_opened',
  'ticket_resolved',
  'survey_response',
  'form_submitted',
] as const;

const MAX_ID = 256;
const MAX_TEXT = 4096;

const id = addressable(z.string().min(1).max(MAX_ID));
const text = z.string().max(MAX_TEXT);
const nonEmptyText = z.string().min(1).max(MAX_TEXT);
const money = z
  .number()
  .nonnegative()
  .lt(MAX_AMOUNT, { error: `must be less than ${MAX_AMOUNT} (the range amounts are stored in)` });
const count = (min: 0 | 1) =>
  z
    .number()
    .int()
    .min(min, { error: min === 0 ? 'must not be negative' : 'must be at least 1' })
    .max(MAX_COUNT, { error: `must be at most ${MAX_COUNT}` });
const score = z
  .number()
  .gt(-MAX_SCORE, { error: `must be greater than -${MAX_SCORE}` })
  .lt(MAX_SCORE, { error: `must be less than ${MAX_SCORE}` });
const dateTime = z.iso.datetime({
  offset: true,
  error: 'must be an ISO-8601 date-time with a time zone offset, e.g. 2024-05-01T12:00:00Z',
});
const currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'must be a three-letter ISO 4217 currency code')
  .transform((code) => code.toUpperCase());

export const contextSchema = z.looseObject({
  ip: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' }).optional(),
  userAgent: text.optional(),
  locale: z.string().max(35).optional(),
  page: z.looseObject({ url: text.optional(), referrer: text.optional() }).optional(),
  campaign: z
    .looseObject({ source: text.optional(), medium: text.optional(), name: text.optional() })
    .optional(),
});

const itemSchema = z.looseObject({
  sku: id,
  name: text.optional(),
  category: text.optional(),
  price: money.optional(),
  quantity: count(1).optional(),
});

const traitsSchema = z.looseObject({
  email: z.email().max(320).optional(),
  phone: z.string().max(64).optional(),
  name: text.optional(),
});

const envelope = {
  eventId: addressable(z.string().min(1).max(64)).optional(),
  customerId: id.optional(),
  anonymousId: id.optional(),
  timestamp: dateTime,
  sentAt: dateTime.optional(),
  channel: z.enum(CHANNELS).optional(),
  context: contextSchema.optional(),
};

const pageView = z.object({
  ...envelope,
  type: z.literal('page_view'),
  properties: z.looseObject({
    url: nonEmptyText,
    title: text.optional(),
    referrer: text.optional(),
    path: text.optional(),
  }),
});

const click = z.object({
  ...envelope,
  type: z.literal('click'),
  properties: z.looseObject({
    target: nonEmptyText,
    url: text.optional(),
    href: text.optional(),
  }),
});

const search = z.object({
  ...envelope,
  type: z.literal('search'),
  properties: z.looseObject({
    query: z.string().max(MAX_TEXT),
    resultsCount: count(0).optional(),
  }),
});

const email = z.object({
  ...envelope,
  type: z.literal('email'),
  properties: z.looseObject({
    action: z.enum(EMAIL_ACTIONS),
    campaignId: id,
    messageId: id.optional(),
    linkUrl: text.optional(),
  }),
});

const purchase = z.object({
  ...envelope,
  type: z.literal('purchase'),
  properties: z.looseObject({
    orderId: id,
    revenue: money,
    currency,
    items: z.array(itemSchema).max(500).optional(),
  }),
});

const refund = z.object({
  ...envelope,
  type: z.literal('refund'),
  properties: z.looseObject({
    orderId: id,
    amount: money,
    currency,
    items: z.array(itemSchema).max(500).optional(),
  }),
});

const identify = z.object({
  ...envelope,
  type: z.literal('identify'),
  customerId: id,
  properties: z.looseObject({ traits: traitsSchema.optional() }).optional(),
  // Where Segment's identify carries them; ingest moves them into properties.traits.
  traits: traitsSchema
    .optional()
    .describe(
      'Segment-style traits; stored as properties.traits (properties.traits wins on a name given in both)',
    ),
});

const interaction = z.object({
  ...envelope,
  type: z.literal('interaction'),
  properties: z.looseObject({
    kind: z.enum(INTERACTION_KINDS),
    score: score.optional(),
  }),
});

const track = z.object({
  ...envelope,
  type: z.literal('track'),
  properties: z.looseObject({ name: z.string().min(1).max(MAX_ID) }),
});

export const eventSchema = z
  .discriminatedUnion('type', [
    pageView,
    click,
    search,
    email,
    purchase,
    refund,
    identify,
    interaction,
    track,
  ])
  .refine((event) => event.customerId !== undefined || event.anonymousId !== undefined, {
    message: 'customerId or anonymousId is required',
    path: ['customerId'],
  });

/** An event as the producer sends it (before defaults and transforms). */
export type EventInput = z.input<typeof eventSchema>;
/** An event after validation: currency codes upper-cased. */
export type Event = z.output<typeof eventSchema>;

export const ingestRequestSchema = z.union([
  eventSchema,
  z.object({ events: z.array(eventSchema).min(1) }),
]);

/** The channel an event gets when it names none. */
export function defaultChannel(event: Event): Channel {
  switch (event.type) {
    case 'email':
      return 'email';
    case 'interaction':
      return INTERACTION_CHANNEL[event.properties.kind];
    case 'track':
      return 'other';
    default:
      return 'web';
  }
}

const INTERACTION_CHANNEL: Record<(typeof INTERACTION_KINDS)[number], Channel> = {
  store_visit: 'store',
  call: 'phone',
  chat: 'chat',
  ticket_opened: 'support',
  ticket_resolved: 'support',
  survey_response: 'other',
  form_submitted: 'web',
};
