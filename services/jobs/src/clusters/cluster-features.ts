import type { FeatureWords } from '@rapport/analytics';
import { profileField } from '@rapport/profiles';

/**
 * One behavioural feature of a profile. `sql` is its natural value over a `profile_features`
 * row (Float64), built from the profile fields (packages/profiles); `transform` is applied before standardizing: log1p tames counts and amounts
 * whose long tails would otherwise decide every distance.
 */
export interface ClusterFeature extends FeatureWords {
  description: string;
  sql: string;
  transform: 'log1p' | 'none';
}

const DAY_MS = 86_400_000;

/** The `profile_features` column of a profile field: features read the fields rules read. */
function column(name: string): string {
  const field = profileField(name);
  if (!field) throw new Error(`no profile field "${name}"`);
  return field.column;
}

/**
 * The features clusters are made of, in order. Changing the list (names or order) starts
 * cluster ids afresh: ids carry over only between runs with the same list.
 */
export const CLUSTER_FEATURES: readonly ClusterFeature[] = [
  {
    name: 'recency_days',
    description:
      'days since the last order; for a profile without an order, days since it was last seen',
    // A non-buyer's last activity stands in for the order it never placed, so that recency
    // separates active browsers from lapsed ones; the orders feature separates both from buyers.
    sql: `greatest(0, (toUnixTimestamp64Milli(computed_at)
            - toUnixTimestamp64Milli(ifNull(${column('lastOrderAt')}, ${column('lastSeen')}))) / ${DAY_MS})`,
    transform: 'log1p',
    high: 'long inactive',
    low: 'recent',
  },
  {
    name: 'orders',
    description: 'purchase events',
    sql: `toFloat64(${column('orders')})`,
    transform: 'log1p',
    high: 'many orders',
    low: 'few orders',
    none: 'no orders',
  },
  {
    name: 'net_revenue',
    description: 'revenue minus refunds, 0 when refunds exceed revenue',
    sql: `greatest(toFloat64(${column('netRevenue')}), 0)`,
    transform: 'log1p',
    high: 'high net revenue',
    low: 'low net revenue',
    none: 'no revenue',
  },
  {
    name: 'visits',
    description: 'days with at least one page view',
    sql: `toFloat64(${column('visits')})`,
    transform: 'log1p',
    high: 'many visits',
    low: 'few visits',
  },
  {
    name: 'searches',
    description: 'search events',
    sql: `toFloat64(${column('searches')})`,
    transform: 'log1p',
    high: 'many searches',
    low: 'few searches',
  },
  {
    name: 'email_open_rate',
    description: 'emails opened / sent; 0 when none was sent',
    sql: `ifNull(${column('email.openRate')}, 0)`,
    transform: 'none',
    high: 'opens emails',
    low: 'ignores emails',
  },
  {
    name: 'email_click_rate',
    description: 'emails clicked / sent; 0 when none was sent',
    sql: `ifNull(${column('email.clickRate')}, 0)`,
    transform: 'none',
    high: 'clicks emails',
    low: 'no email clicks',
  },
  {
    name: 'category_breadth',
    description: 'distinct categories of purchased items',
    sql: `toFloat64(${column('categoryBreadth')})`,
    transform: 'log1p',
    high: 'buys across categories',
    low: 'narrow buyer',
    none: 'no purchases',
  },
];

export const FEATURE_NAMES: readonly string[] = CLUSTER_FEATURES.map((feature) => feature.name);

/** The natural values of a `profile_features` row, as an Array(Float64). */
export function naturalVectorSql(): string {
  return `[${CLUSTER_FEATURES.map((feature) => `toFloat64(${feature.sql})`).join(',\n     ')}]`;
}

/** The values k-means sees (transformed, not yet standardized), from the natural vector `column`. */
export function modelVectorSql(column: string): string {
  return `[${CLUSTER_FEATURES.map((feature, i) =>
    feature.transform === 'log1p' ? `log1p(${column}[${i + 1}])` : `${column}[${i + 1}]`,
  ).join(', ')}]`;
}

/** From the transformed scale back to natural units. */
export function toNaturalUnits(model: readonly number[]): number[] {
  return model.map((value, i) =>
    CLUSTER_FEATURES[i]?.transform === 'log1p' ? Math.expm1(value) : value,
  );
}
