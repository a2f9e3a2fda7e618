import {
  CHANNELS,
  LIFECYCLE_STAGES,
  RFM_SEGMENT_NAMES,
  type FieldOperator,
} from '@rapport/schemas';

/**
 * What a field holds, which decides its operators and how values are checked:
 * - `json`: a raw JSON value (traits, event properties); the type of the rule's value picks
 *   the comparison (a string value compares strings, a number numbers, a boolean booleans).
 */
export type FieldType = 'number' | 'string' | 'enum' | 'time' | 'list' | 'boolean' | 'json';

export interface FieldSpec {
  /** As in the profile JSON, e.g. `email.openRate`; `traits.<name>` stands for any trait. */
  name: string;
  type: FieldType;
  description: string;
  operators: readonly FieldOperator[];
  /** The allowed values of an enum (or of a list's elements). */
  values?: readonly string[];
  /** A profile may have no value; a condition on a missing value is false. */
  nullable: boolean;
}

const PRESENCE: readonly FieldOperator[] = ['exists', 'notExists'];

const NUMBER: readonly FieldOperator[] = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'in',
  'notIn',
];
const TEXT: readonly FieldOperator[] = ['contains', 'notContains', 'startsWith', 'endsWith'];

const BY_TYPE: Record<FieldType, readonly FieldOperator[]> = {
  number: NUMBER,
  string: ['eq', 'neq', 'in', 'notIn', ...TEXT],
  enum: ['eq', 'neq', 'in', 'notIn'],
  time: ['before', 'after', 'between', 'inLastDays', 'notInLastDays'],
  list: ['includes', 'excludes', 'includesAny'],
  boolean: ['eq'],
  // A trait holds any JSON: compared as a number or as text by the rule's value, and may be absent.
  json: [...NUMBER, ...TEXT, ...PRESENCE],
};

/** The operators a field of this type takes; `exists` / `notExists` only where a value can be missing. */
export function operatorsFor(type: FieldType, nullable: boolean): readonly FieldOperator[] {
  const base = BY_TYPE[type];
  return nullable && type !== 'json' ? [...base, ...PRESENCE] : base;
}

interface Entry {
  name: string;
  type: FieldType;
  description: string;
  /** Fixed SQL over the columns of `profile_features`; never built from input. */
  sql: string;
  nullable?: boolean;
  values?: readonly string[];
}

const ENTRIES: readonly Entry[] = [
  { name: 'events', type: 'number', sql: 'events', description: 'events of every type' },
  { name: 'visits', type: 'number', sql: 'visits', description: 'days with a page view' },
  { name: 'pageViews', type: 'number', sql: 'page_views', description: 'page_view events' },
  { name: 'searches', type: 'number', sql: 'searches', description: 'search events' },
  { name: 'clicks', type: 'number', sql: 'clicks', description: 'click events' },
  {
    name: 'interactions',
    type: 'number',
    sql: 'interactions',
    description: 'offline and assisted contacts',
  },
  { name: 'orders', type: 'number', sql: 'orders', description: 'purchase events' },
  { name: 'refunds', type: 'number', sql: 'refunds', description: 'refund events' },
  { name: 'revenue', type: 'number', sql: 'revenue', description: 'purchase amounts, summed' },
  {
    name: 'refundedAmount',
    type: 'number',
    sql: 'refunded',
    description: 'refund amounts, summed',
  },
  {
    name: 'netRevenue',
    type: 'number',
    sql: 'net_revenue',
    description: 'revenue minus refunds',
  },
  {
    name: 'averageOrderValue',
    type: 'number',
    sql: 'average_order_value',
    nullable: true,
    description: 'revenue / orders; missing without orders',
  },
  { name: 'email.sent', type: 'number', sql: 'email_sent', description: 'emails sent' },
  {
    name: 'email.delivered',
    type: 'number',
    sql: 'email_delivered',
    description: 'emails delivered',
  },
  { name: 'email.opened', type: 'number', sql: 'email_opened', description: 'emails opened' },
  { name: 'email.clicked', type: 'number', sql: 'email_clicked', description: 'emails clicked' },
  { name: 'email.bounced', type: 'number', sql: 'email_bounced', description: 'emails bounced' },
  {
    name: 'email.unsubscribed',
    type: 'number',
    sql: 'email_unsubscribed',
    description: 'unsubscribes',
  },
  {
    name: 'email.openRate',
    type: 'number',
    sql: 'email_open_rate',
    nullable: true,
    description: 'opened / sent (0–1); missing when nothing was sent',
  },
  {
    name: 'email.clickRate',
    type: 'number',
    sql: 'email_click_rate',
    nullable: true,
    description: 'clicked / sent (0–1); missing when nothing was sent',
  },
  {
    name: 'categoryBreadth',
    type: 'number',
    sql: 'category_breadth',
    description: 'distinct categories of purchased items',
  },
  { name: 'firstSeen', type: 'time', sql: 'first_seen', description: 'the first event' },
  { name: 'lastSeen', type: 'time', sql: 'last_seen', description: 'the latest event' },
  {
    name: 'lastOrderAt',
    type: 'time',
    sql: 'last_order_at',
    nullable: true,
    description: 'the latest purchase; missing without orders',
  },
  {
    name: 'categories',
    type: 'list',
    sql: 'categories',
    description: 'categories of purchased items',
  },
  {
    name: 'channels',
    type: 'list',
    sql: 'channels',
    values: CHANNELS,
    description: 'channels the profile was active on',
  },
  {
    name: 'lifecycle',
    type: 'enum',
    sql: 'lifecycle',
    values: LIFECYCLE_STAGES,
    description: 'lifecycle stage at evaluation time',
  },
  {
    name: 'identified',
    type: 'boolean',
    sql: "(customer_id != '')",
    description: 'true for a known customer, false for an anonymous visitor',
  },
  {
    name: 'rfm.recencyDays',
    type: 'number',
    sql: 'rfm_recency_days',
    nullable: true,
    description: 'days since the last order, from the latest rfm run',
  },
  {
    name: 'rfm.frequency',
    type: 'number',
    sql: 'rfm_frequency',
    nullable: true,
    description: 'orders, from the latest rfm run',
  },
  {
    name: 'rfm.monetary',
    type: 'number',
    sql: 'rfm_monetary',
    nullable: true,
    description: 'net spend, from the latest rfm run',
  },
  {
    name: 'rfm.r',
    type: 'number',
    sql: 'rfm_r',
    nullable: true,
    description: 'recency score 1–5',
  },
  {
    name: 'rfm.f',
    type: 'number',
    sql: 'rfm_f',
    nullable: true,
    description: 'frequency score 1–5',
  },
  {
    name: 'rfm.m',
    type: 'number',
    sql: 'rfm_m',
    nullable: true,
    description: 'monetary score 1–5',
  },
  {
    name: 'rfm.score',
    type: 'string',
    sql: 'rfm_score',
    nullable: true,
    description: 'R, F and M scores as text, e.g. "545"',
  },
  {
    name: 'rfm.segment',
    type: 'enum',
    sql: 'rfm_segment',
    nullable: true,
    values: RFM_SEGMENT_NAMES,
    description: 'RFM segment, from the latest rfm run',
  },
  {
    name: 'cluster',
    type: 'number',
    sql: 'cluster',
    nullable: true,
    description: 'cluster number (an integer), from the latest clusters run',
  },
  {
    name: 'clv.clv',
    type: 'number',
    sql: 'clv',
    nullable: true,
    description: 'discounted customer lifetime value, from the latest clv run',
  },
  {
    name: 'clv.pAlive',
    type: 'number',
    sql: 'clv_p_alive',
    nullable: true,
    description: 'probability the customer is still active (0–1)',
  },
  {
    name: 'clv.expectedOrders',
    type: 'number',
    sql: 'clv_expected_orders',
    nullable: true,
    description: 'expected orders over the clv horizon',
  },
  {
    name: 'clv.expectedValue',
    type: 'number',
    sql: 'clv_expected_value',
    nullable: true,
    description: 'expected spend over the clv horizon, undiscounted',
  },
];

export const TRAIT_PREFIX = 'traits.';

function toSpec(entry: Entry): FieldSpec {
  const nullable = entry.nullable ?? false;
  return {
    name: entry.name,
    type: entry.type,
    description: entry.description,
    operators: operatorsFor(entry.type, nullable),
    ...(entry.values ? { values: entry.values } : {}),
    nullable,
  };
}

/** Every field a rule can test, as the API lists them. */
export const FIELD_CATALOGUE: readonly FieldSpec[] = [
  ...ENTRIES.map(toSpec),
  {
    name: `${TRAIT_PREFIX}<name>`,
    type: 'json',
    description:
      'any trait set by identify; a string value compares text, a number numbers, a boolean booleans',
    operators: operatorsFor('json', true),
    nullable: true,
  },
];

const BY_NAME = new Map(ENTRIES.map((entry) => [entry.name, { ...toSpec(entry), sql: entry.sql }]));

/** A catalogue field with its fixed SQL, or undefined for a name the catalogue lacks. */
export function catalogueField(name: string): (FieldSpec & { sql: string }) | undefined {
  return BY_NAME.get(name);
}

/** The names a field may have, for messages and suggestions. */
export const FIELD_NAMES: readonly string[] = FIELD_CATALOGUE.map((field) => field.name);

/** The trait a `traits.<name>` field names, or undefined for any other field. */
export function traitName(field: string): string | undefined {
  return field.startsWith(TRAIT_PREFIX) ? field.slice(TRAIT_PREFIX.length) : undefined;
}
