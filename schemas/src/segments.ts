import { z } from 'zod';
import { EVENT_TYPES } from './events.js';

/**
 * The segment rule language: a JSON tree. This schema checks its shape; whether a field
 * exists, an operator fits the field's type and a value fits the operator is checked against
 * the field catalogue when the rule is compiled (`@rapport/segments`), and reported with the
 * JSON Pointer of the node at fault.
 */

export const FIELD_OPERATORS = [
  // any ordered scalar (numbers, strings, times)
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'in',
  'notIn',
  // strings
  'contains',
  'notContains',
  'startsWith',
  'endsWith',
  // times
  'before',
  'after',
  'inLastDays',
  'notInLastDays',
  // lists (categories, channels)
  'includes',
  'excludes',
  'includesAny',
  // presence (nullable fields and traits)
  'exists',
  'notExists',
] as const;
export type FieldOperator = (typeof FIELD_OPERATORS)[number];

const scalar = z.union([z.string().max(1000), z.number(), z.boolean()]);
/** A comparison value: a scalar, or a list of them for `between` (two), `in`, `notIn`, `includesAny`. */
export const ruleValueSchema = z.union([scalar, z.array(scalar).min(1).max(1000)]);

export const fieldConditionSchema = z.strictObject({
  type: z.literal('field'),
  field: z
    .string()
    .min(1)
    .max(200)
    .describe('a field of the catalogue (GET /v1/segments/fields), or traits.<name>'),
  op: z.enum(FIELD_OPERATORS),
  value: ruleValueSchema.optional().describe('absent for exists / notExists'),
});

/** A filter on the events a behavioural condition counts. */
export const eventFilterSchema = z.strictObject({
  field: z
    .string()
    .min(1)
    .max(200)
    .describe(
      '`channel`, `amount` (reporting currency), `currency`, or a dotted path under `properties.` ' +
        'or `context.`; `properties.items.<key>` matches when any item matches',
    ),
  op: z.enum(FIELD_OPERATORS),
  value: ruleValueSchema.optional(),
});

const count = z.union([
  z.strictObject({ atLeast: z.number().int().min(0).max(1_000_000) }),
  z.strictObject({ atMost: z.number().int().min(0).max(1_000_000) }),
  z.strictObject({ exactly: z.number().int().min(0).max(1_000_000) }),
]);

const within = z.union([
  z.strictObject({ lastDays: z.number().int().min(1).max(36_500) }),
  z.strictObject({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
  }),
]);

export const eventConditionSchema = z.strictObject({
  type: z.literal('event'),
  event: z.enum(EVENT_TYPES),
  where: z.array(eventFilterSchema).max(20).optional(),
  count: count.optional().describe('default { atLeast: 1 }; { exactly: 0 } is "did not perform"'),
  within: within.optional().describe('default: all time'),
});

export const segmentConditionSchema = z.strictObject({
  type: z.literal('segment'),
  segmentId: z.string().min(1).max(64),
});

export type FieldCondition = z.infer<typeof fieldConditionSchema>;
export type EventFilter = z.infer<typeof eventFilterSchema>;
export type EventCondition = z.infer<typeof eventConditionSchema>;
export type SegmentCondition = z.infer<typeof segmentConditionSchema>;
export type RuleValue = z.infer<typeof ruleValueSchema>;

export type SegmentRule =
  | { type: 'and'; rules: SegmentRule[] }
  | { type: 'or'; rules: SegmentRule[] }
  | { type: 'not'; rule: SegmentRule }
  | FieldCondition
  | EventCondition
  | SegmentCondition;

/** The segments of the RFM map (recency × frequency grid), as `rfm.segment` takes them. */
export const RFM_SEGMENT_NAMES = [
  'Champions',
  'Loyal',
  'Potential Loyalist',
  'New',
  'Promising',
  'Need Attention',
  'About to Sleep',
  'At Risk',
  "Can't Lose Them",
  'Hibernating',
  'Lost',
] as const;
export type RfmSegmentName = (typeof RFM_SEGMENT_NAMES)[number];

/** Rules nest at most this deep and hold at most MAX_RULE_NODES nodes. */
export const MAX_RULE_DEPTH = 12;
export const MAX_RULE_NODES = 200;

export const segmentRuleSchema: z.ZodType<SegmentRule> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('and'), rules: z.array(segmentRuleSchema).min(1).max(50) }),
    z.strictObject({ type: z.literal('or'), rules: z.array(segmentRuleSchema).min(1).max(50) }),
    z.strictObject({ type: z.literal('not'), rule: segmentRuleSchema }),
    fieldConditionSchema,
    eventConditionSchema,
    segmentConditionSchema,
  ]),
);

export const SEGMENT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const segmentIdSchema = z
  .string()
  .regex(SEGMENT_ID, 'must be 1–64 of a-z 0-9 _ -, starting with a letter or digit');

/** A consent purpose (`marketing`, `analytics`, …), recorded as the trait `consent_<purpose>`. */
export const CONSENT_PURPOSE = /^[a-z][a-z0-9_]{0,31}$/;
/** The value of a `consent_<purpose>` trait that gives consent; any other value (or none) does not. */
export const CONSENT_GRANTED = 'granted';
/** Consent purposes a segment may require, at most. */
export const MAX_REQUIRED_CONSENTS = 10;

export const requiresConsentSchema = z
  .array(
    z
      .string()
      .regex(CONSENT_PURPOSE, 'must be 1–32 of a-z 0-9 _, starting with a letter (e.g. marketing)'),
  )
  .max(MAX_REQUIRED_CONSENTS)
  .refine((purposes) => new Set(purposes).size === purposes.length, 'names a purpose twice')
  .describe(
    'consent purposes a member must have granted: the latest `consent_<purpose>` trait of each is "granted"',
  );

export const segmentInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).default(''),
  rule: z.unknown().describe('a rule tree; see the README for every node type'),
  requiresConsent: requiresConsentSchema.default([]),
});

export const createSegmentSchema = segmentInputSchema.extend({
  id: segmentIdSchema.optional().describe('chosen by the server when absent'),
});

export const updateSegmentSchema = segmentInputSchema.extend({
  requiresConsent: requiresConsentSchema
    .optional()
    .describe(
      'consent purposes a member must have granted; absent: those the current version requires',
    ),
  expectedVersion: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('refuse with 409 unless this is the current version'),
});

export const segmentEvaluationSchema = z
  .object({
    runId: z.string(),
    version: z.number().int().describe('the definition version evaluated'),
    members: z.number().int(),
    entered: z.number().int(),
    exited: z.number().int(),
    computedAt: z.string(),
  })
  .describe('the latest evaluation by the segments job; null before the first');

export const segmentSchema = z.object({
  id: z.string(),
  version: z.number().int(),
  name: z.string(),
  description: z.string(),
  rule: z.unknown(),
  requiresConsent: z
    .array(z.string())
    .describe('consent purposes every member has granted (ANDed into the rule)'),
  createdAt: z.string().describe('when version 1 was saved'),
  updatedAt: z.string().describe('when this version was saved'),
  lastEvaluation: segmentEvaluationSchema.nullable(),
  realtime: z
    .boolean()
    .describe(
      'true: membership follows each event (streaming evaluation); false: batch-only, evaluated by the segments job',
    ),
  batchOnlyReason: z.string().nullable().describe('why the segment is batch-only, if it is'),
});
export type Segment = z.infer<typeof segmentSchema>;

export const segmentListSchema = z.object({ segments: z.array(segmentSchema) });

export const segmentQuerySchema = z.object({
  version: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe('an earlier version of the definition; default the current one'),
});

/** One field a `field` condition can test, as `GET /v1/segments/fields` lists it. */
export const ruleFieldSchema = z.object({
  name: z.string(),
  type: z.string(),
  description: z.string(),
  operators: z.array(z.string()).describe('the operators this field accepts'),
  values: z.array(z.string()).optional().describe('the values it can take, when there are few'),
  nullable: z
    .boolean()
    .describe('a profile may have no value: then every operator but notExists is false'),
});

export const fieldCatalogueSchema = z.object({ fields: z.array(ruleFieldSchema) });

export const previewRequestSchema = z.strictObject({
  rule: z.unknown(),
  requiresConsent: requiresConsentSchema.default([]),
  sample: z.number().int().min(0).max(100).default(20),
});

export const segmentMemberSchema = z.object({
  customerId: z.string().nullable(),
  anonymousId: z.string().nullable().describe('set for a visitor no customer owns'),
});

export const previewResponseSchema = z.object({
  count: z.number().int(),
  sample: z.array(segmentMemberSchema),
  computedAt: z.string().describe('when the profile fields the rule was tested on were computed'),
  source: z
    .enum(['snapshot', 'live'])
    .describe('snapshot: the latest segments run; live: computed for this answer'),
});

export const membersQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  cursor: z.string().max(500).optional().describe('the `next` of the previous page'),
  fields: z
    .string()
    .max(2000)
    .optional()
    .describe(
      'CSV only: profile fields to add as columns, comma-separated, named as in rules ' +
        '(`orders,netRevenue,lifecycle`); the values the evaluation saw',
    ),
});

export const membersPageSchema = z.object({
  segmentId: z.string(),
  version: z.number().int(),
  runId: z.string(),
  computedAt: z.string(),
  members: z.array(segmentMemberSchema.extend({ since: z.string().nullable() })),
  next: z.string().nullable(),
});

export const historyQuerySchema = z.object({
  from: z.iso.date().optional().describe('first day (UTC); default 90 days before `to`'),
  to: z.iso.date().optional().describe('last day (UTC); default today'),
});

export const historySchema = z.object({
  segmentId: z.string(),
  computedAt: z.string().nullable().describe('the latest evaluation; null before the first'),
  days: z.array(
    z.object({
      day: z.string(),
      entered: z.number().int(),
      exited: z.number().int(),
      members: z.number().int().describe('members at the end of the day'),
    }),
  ),
});

/** One entry or exit, as published on the bus and delivered to webhooks. */
export const segmentChangeSchema = z.object({
  id: z.string().describe('unique per change: run, segment and profile'),
  segmentId: z.string(),
  segmentName: z.string(),
  version: z.number().int().describe('the definition version evaluated'),
  change: z.enum(['entered', 'exited']),
  customerId: z.string().nullable(),
  anonymousId: z.string().nullable(),
  at: z.string().describe('when the segments run evaluated the segment'),
  runId: z.string(),
});
export type SegmentChange = z.infer<typeof segmentChangeSchema>;

export const profileSegmentSchema = z.object({
  id: z.string(),
  name: z.string(),
  since: z.string().describe('when the profile entered'),
  version: z.number().int().describe('definition version it entered under'),
  computedAt: z.string().describe('when the segment was last evaluated'),
});
export type ProfileSegment = z.infer<typeof profileSegmentSchema>;
