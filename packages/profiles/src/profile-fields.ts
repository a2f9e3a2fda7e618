import { CHANNELS, LIFECYCLE_STAGES, RFM_SEGMENT_NAMES, type Profile } from '@rapport/schemas';

/**
 * What a field holds, which decides its rule operators and how values are checked:
 * - `json`: a raw JSON value (traits, event properties); the type of the rule's value picks
 *   the comparison (a string value compares strings, a number numbers, a boolean booleans).
 */
export type FieldType = 'number' | 'string' | 'enum' | 'time' | 'list' | 'boolean' | 'json';

/**
 * One profile field, defined once: the SQL that computes it, the column it is stored in, its
 * name in rules and where the profile API shows it. The profile read, the segments features
 * snapshot, the clusters features and the rule catalogue are all built from this list, so a
 * field has the same value wherever it is seen.
 *
 * Units and rounding, decided here: amounts are in the reporting currency, rounded to cents
 * (the ledger's figures); ratios and model outputs are not rounded; times are instants (UTC);
 * a field that can be missing is NULL in SQL and null in the API.
 */
export interface ProfileField {
  /** Its name in rules and in the field catalogue, e.g. `email.openRate`. */
  name: string;
  /** Its column in `profile_features` and in a profile read. */
  column: string;
  /**
   * SQL over the merged aggregates `p` (see profile-sql.ts), traits `t`, and the latest job
   * results `r` (rfm), `v` (clv) and `k` (clusters). May name columns defined before it.
   */
  sql: string;
  /** What a rule reads over `profile_features`, when it is not the column itself. */
  ruleSql?: string;
  type: FieldType;
  description: string;
  nullable?: boolean;
  /** The allowed values of an enum (or of a list's elements). */
  values?: readonly string[];
  /** Read from a job's results — `r` (rfm), `v` (clv), `k` (clusters) — not from activity `p`. */
  jobResult?: 'r' | 'v' | 'k';
  /** The same value as the profile API shows it, in the unit the column holds. */
  inProfile: (profile: Profile) => unknown;
}

const cents = (sql: string) => `toFloat64(round(${sql}, 2))`;
const epochMs = (iso: string | null | undefined) => (iso == null ? null : Date.parse(iso));

/** Every field of a profile that rules can test, in the order the catalogue lists them. */
export const PROFILE_FIELDS: readonly ProfileField[] = [
  {
    name: 'events',
    column: 'events',
    sql: 'p.events',
    type: 'number',
    description: 'events of every type',
    inProfile: (profile) => profile.stats.events,
  },
  {
    name: 'visits',
    column: 'visits',
    sql: 'p.visits',
    type: 'number',
    description: 'days with a page view',
    inProfile: (profile) => profile.stats.visits,
  },
  {
    name: 'pageViews',
    column: 'page_views',
    sql: "p.by_type['page_view']",
    type: 'number',
    description: 'page_view events',
    inProfile: (profile) => profile.stats.pageViews,
  },
  {
    name: 'searches',
    column: 'searches',
    sql: "p.by_type['search']",
    type: 'number',
    description: 'search events',
    inProfile: (profile) => profile.stats.searches,
  },
  {
    name: 'clicks',
    column: 'clicks',
    sql: "p.by_type['click']",
    type: 'number',
    description: 'click events',
    inProfile: (profile) => profile.stats.clicks,
  },
  {
    name: 'interactions',
    column: 'interactions',
    sql: "p.by_type['interaction']",
    type: 'number',
    description: 'offline and assisted contacts',
    inProfile: (profile) => profile.stats.interactions,
  },
  {
    name: 'orders',
    column: 'orders',
    sql: 'p.orders',
    type: 'number',
    description: 'purchase events',
    inProfile: (profile) => profile.stats.orders,
  },
  {
    name: 'refunds',
    column: 'refunds',
    sql: 'p.refunds',
    type: 'number',
    description: 'refund events',
    inProfile: (profile) => profile.stats.refunds,
  },
  {
    name: 'revenue',
    column: 'revenue',
    sql: cents('p.revenue'),
    type: 'number',
    description: 'purchase amounts, summed',
    inProfile: (profile) => profile.stats.revenue,
  },
  {
    name: 'refundedAmount',
    column: 'refunded',
    sql: cents('p.refunded'),
    type: 'number',
    description: 'refund amounts, summed',
    inProfile: (profile) => profile.stats.refundedAmount,
  },
  {
    name: 'netRevenue',
    column: 'net_revenue',
    sql: cents('p.revenue - p.refunded'),
    type: 'number',
    description: 'revenue minus refunds',
    inProfile: (profile) => profile.stats.netRevenue,
  },
  {
    name: 'averageOrderValue',
    column: 'average_order_value',
    sql: `if(p.orders > 0, ${cents('p.revenue / p.orders')}, NULL)`,
    type: 'number',
    nullable: true,
    description: 'revenue / orders; missing without orders',
    inProfile: (profile) => profile.stats.averageOrderValue,
  },
  ...(
    ['sent', 'delivered', 'opened', 'clicked', 'bounced', 'unsubscribed', 'complained'] as const
  ).map((action): ProfileField => ({
    name: `email.${action}`,
    column: `email_${action}`,
    sql: `p.email['${action}']`,
    type: 'number',
    description: action === 'unsubscribed' ? 'unsubscribes' : `emails ${action}`,
    inProfile: (profile) => profile.stats.email[action],
  })),
  {
    name: 'email.openRate',
    column: 'email_open_rate',
    sql: 'if(email_sent > 0, email_opened / email_sent, NULL)',
    type: 'number',
    nullable: true,
    description: 'opened / sent (0–1); missing when nothing was sent',
    inProfile: (profile) => profile.stats.email.openRate,
  },
  {
    name: 'email.clickRate',
    column: 'email_click_rate',
    sql: 'if(email_sent > 0, email_clicked / email_sent, NULL)',
    type: 'number',
    nullable: true,
    description: 'clicked / sent (0–1); missing when nothing was sent',
    inProfile: (profile) => profile.stats.email.clickRate,
  },
  {
    name: 'categories',
    column: 'categories',
    sql: "arraySort(arrayFilter((c, n) -> n > 0 AND c != '', p.cats.1, p.cats.2))",
    type: 'list',
    description: 'categories of purchased items',
    inProfile: (profile) => profile.stats.categories,
  },
  {
    name: 'categoryBreadth',
    column: 'category_breadth',
    sql: 'toUInt32(length(categories))',
    type: 'number',
    description: 'distinct categories of purchased items',
    inProfile: (profile) => profile.stats.categories.length,
  },
  {
    name: 'firstSeen',
    column: 'first_seen',
    sql: 'p.first_seen',
    type: 'time',
    description: 'the first event',
    inProfile: (profile) => epochMs(profile.stats.firstSeen),
  },
  {
    name: 'lastSeen',
    column: 'last_seen',
    sql: 'p.last_seen',
    type: 'time',
    description: 'the latest event',
    inProfile: (profile) => epochMs(profile.stats.lastSeen),
  },
  {
    name: 'lastOrderAt',
    column: 'last_order_at',
    sql: 'p.last_order_at',
    type: 'time',
    nullable: true,
    description: 'the latest purchase; missing without orders',
    inProfile: (profile) => epochMs(profile.stats.lastOrder?.at),
  },
  {
    name: 'channels',
    column: 'channels',
    sql: 'arraySort(arrayFilter(c -> p.by_channel[c] > 0, mapKeys(p.by_channel)))',
    type: 'list',
    values: CHANNELS,
    description: 'channels the profile was active on',
    inProfile: (profile) => Object.keys(profile.stats.eventsByChannel).sort(),
  },
  {
    name: 'lifecycle',
    column: 'lifecycle',
    // Lapsed: identified and silent for longer than the lapse threshold at evaluation time.
    sql: `multiIf(
        customer_id = '', 'visitor',
        p.events > 0 AND toUnixTimestamp64Milli(p.last_seen) < {now:Int64} - {lapsedMs:Int64}, 'lapsed',
        p.orders = 0, 'lead',
        p.orders = 1, 'customer',
        'repeat')`,
    type: 'enum',
    values: LIFECYCLE_STAGES,
    description: 'lifecycle stage at evaluation time',
    inProfile: (profile) => profile.lifecycle,
  },
  {
    name: 'identified',
    column: 'identified',
    sql: "customer_id != ''",
    type: 'boolean',
    description: 'true for a known customer, false for an anonymous visitor',
    inProfile: (profile) => profile.customerId !== null,
  },
  ...rfmFields(),
  {
    name: 'cluster',
    column: 'cluster',
    sql: 'if(k.assigned = 1, k.cluster, NULL)',
    type: 'number',
    nullable: true,
    jobResult: 'k',
    description: 'cluster number (an integer), from the latest clusters run',
    inProfile: (profile) => profile.cluster?.cluster ?? null,
  },
  ...clvFields(),
];

function rfmFields(): ProfileField[] {
  const scored = (sql: string) => `if(r.scored = 1, ${sql}, NULL)`;
  const fields: [keyof NonNullable<Profile['rfm']>, string, FieldType, string, string?][] = [
    ['recencyDays', 'recency_days', 'number', 'days since the last order, from the latest rfm run'],
    ['frequency', 'frequency', 'number', 'orders, from the latest rfm run'],
    ['monetary', 'monetary', 'number', 'net spend, from the latest rfm run', cents('r.monetary')],
    ['r', 'r', 'number', 'recency score 1–5'],
    ['f', 'f', 'number', 'frequency score 1–5'],
    ['m', 'm', 'number', 'monetary score 1–5'],
    ['score', 'score', 'string', 'R, F and M scores as text, e.g. "545"'],
    ['segment', 'segment', 'enum', 'RFM segment, from the latest rfm run'],
  ];
  return fields.map(([name, column, type, description, sql]) => ({
    name: `rfm.${name}`,
    column: `rfm_${column}`,
    sql: scored(sql ?? `r.${column}`),
    type,
    nullable: true,
    jobResult: 'r',
    ...(name === 'segment' ? { values: RFM_SEGMENT_NAMES } : {}),
    description,
    inProfile: (profile) => profile.rfm?.[name] ?? null,
  }));
}

function clvFields(): ProfileField[] {
  const fields: [keyof NonNullable<Profile['clv']>, string, string, string][] = [
    ['clv', 'clv', 'clv', 'discounted customer lifetime value, from the latest clv run'],
    ['pAlive', 'clv_p_alive', 'p_alive', 'probability the customer is still active (0–1)'],
    [
      'expectedOrders',
      'clv_expected_orders',
      'expected_orders',
      'expected orders over the clv horizon',
    ],
    [
      'expectedValue',
      'clv_expected_value',
      'expected_value',
      'expected spend over the clv horizon, undiscounted',
    ],
  ];
  return fields.map(([name, column, source, description]) => ({
    name: `clv.${name}`,
    column,
    sql: `if(v.scored = 1, v.${source}, NULL)`,
    type: 'number',
    nullable: true,
    jobResult: 'v',
    description,
    inProfile: (profile) => profile.clv?.[name] ?? null,
  }));
}

const BY_NAME = new Map(PROFILE_FIELDS.map((field) => [field.name, field]));

/** A field by its rule name, or undefined. */
export function profileField(name: string): ProfileField | undefined {
  return BY_NAME.get(name);
}
