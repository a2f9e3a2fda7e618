import { z } from 'zod';
import { PROFILE_FIELDS } from './profile-fields.js';

// 64-bit numbers come as numbers from the embedded engine and as strings from a server.
const count = z.coerce.number();
const amount = z.coerce.number();
const nullableNumber = z.coerce.number().nullable();
const counts = z.record(z.string(), z.coerce.number());

/**
 * One profile as `readProfileRow` returns it: the rule fields (times as epoch ms) and the
 * columns only the profile API shows, in parts (see oneProfileSql). Checked, not cast: a
 * store that answers something else is an error here, not a wrong profile.
 */
export const activityRowSchema = z.object({
  profile_key: z.string(),
  customer_id: z.string(),
  anonymous_id: z.string(),
  first_seen: count,
  last_seen: count,
  last_order_at: nullableNumber,
  events: count,
  visits: count,
  page_views: count,
  searches: count,
  clicks: count,
  interactions: count,
  orders: count,
  refunds: count,
  revenue: amount,
  refunded: amount,
  net_revenue: amount,
  average_order_value: nullableNumber,
  email_sent: count,
  email_delivered: count,
  email_opened: count,
  email_clicked: count,
  email_bounced: count,
  email_unsubscribed: count,
  email_complained: count,
  email_open_rate: nullableNumber,
  email_click_rate: nullableNumber,
  categories: z.array(z.string()),
  category_breadth: count,
  channels: z.array(z.string()),
  lifecycle: z.enum(['visitor', 'lead', 'customer', 'repeat', 'lapsed']),
  identified: z.union([z.boolean(), z.coerce.number()]),
  // Profile API only.
  last_received_ms: count,
  by_type: counts,
  by_channel: counts,
  last_order_id: z.string(),
  last_order_value: amount,
  top_categories: z.array(z.tuple([z.string(), count])),
});

/** The profile's fields of the latest rfm run, and when that run scored. */
export const rfmRowSchema = z.object({
  rfm_recency_days: nullableNumber,
  rfm_frequency: nullableNumber,
  rfm_monetary: nullableNumber,
  rfm_r: nullableNumber,
  rfm_f: nullableNumber,
  rfm_m: nullableNumber,
  rfm_score: z.string().nullable(),
  rfm_segment: z.string().nullable(),
  rfm_as_of_ms: count,
});

/** The profile's fields of the latest clv run, and the history it was scored on. */
export const clvRowSchema = z.object({
  clv: nullableNumber,
  clv_p_alive: nullableNumber,
  clv_expected_orders: nullableNumber,
  clv_expected_value: nullableNumber,
  clv_as_of_ms: count,
  clv_orders: count,
  clv_x: count,
  clv_t_x: count,
  clv_T: count,
  clv_mean_value: count,
  clv_expected_order_value: count,
});

/** The profile's cluster in the latest clusters run. */
export const clusterRowSchema = z.object({
  cluster: nullableNumber,
  cluster_label: z.string(),
});

/** The current value of each trait, as raw JSON. */
export const traitsRowSchema = z.object({ traits: z.record(z.string(), z.string()) });
export type ActivityRow = z.infer<typeof activityRowSchema>;
export type RfmRow = z.infer<typeof rfmRowSchema>;
export type ClvRow = z.infer<typeof clvRowSchema>;
export type ClusterRow = z.infer<typeof clusterRowSchema>;

/**
 * One profile: its activity and traits, and each job's result for it; null where the job has
 * no run to read (and in as-of profiles, which show no job results).
 */
export interface ProfileRow {
  activity: ActivityRow;
  traits: Record<string, string>;
  rfm: RfmRow | null;
  clv: ClvRow | null;
  cluster: ClusterRow | null;
}

/** Time fields, read as epoch ms in a profile row. */
export const TIME_COLUMNS: readonly string[] = PROFILE_FIELDS.filter(
  (field) => field.type === 'time',
).map((field) => field.column);
