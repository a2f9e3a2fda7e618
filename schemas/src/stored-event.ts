import { z } from 'zod';
import {
  MAX_AMOUNT,
  MAX_STORED_TIME,
  MIN_STORED_TIME,
  MAX_NESTING_DEPTH,
  addressable,
  tooDeepPath,
} from './event-limits.js';
import { CHANNELS, STORED_EVENT_TYPES } from './events.js';

// Each column's range: a value outside it would fail the insert of the whole batch.
const column = addressable;
const time = z
  .number()
  .int()
  .min(MIN_STORED_TIME, { error: 'is before 1900-01-01, the earliest time the store holds' })
  .max(MAX_STORED_TIME, { error: 'is after 2299-12-31, the latest time the store holds' });
const amount = z
  .number()
  .gt(-MAX_AMOUNT, { error: `must be greater than -${MAX_AMOUNT}` })
  .lt(MAX_AMOUNT, { error: `must be less than ${MAX_AMOUNT}` });
const json = z.record(z.string(), z.unknown()).superRefine((value, context) => {
  const path = tooDeepPath(value);
  if (path !== undefined) {
    context.addIssue({
      code: 'custom',
      message: `${path} is nested too deep (the limit is ${MAX_NESTING_DEPTH} levels)`,
    });
  }
});

/**
 * An accepted event after normalisation, in the column layout of the `events` table.
 * This is also the message format on the bus (one JSON object per event), so the
 * pipeline writes what ingest produced without reshaping it.
 */
export const storedEventSchema = z.object({
  event_id: column(z.string().min(1).max(64)),
  type: z.enum(STORED_EVENT_TYPES),
  /** `c:<customerId>` when the event names a customer, else `a:<anonymousId>`. */
  customer_key: column(z.string().min(3)),
  customer_id: column(z.string()),
  anonymous_id: column(z.string()),
  /** Event time in epoch milliseconds, corrected for client clock skew. */
  timestamp: time,
  /** The timestamp as the producer sent it, epoch milliseconds. */
  original_timestamp: time,
  sent_at: time.nullable(),
  received_at: time,
  channel: z.enum(CHANNELS),
  order_id: column(z.string()),
  /** Purchase revenue or refund amount in the reporting currency; 0 for other types. */
  amount,
  /** The currency the producer reported in; empty for types without money. */
  currency: column(z.string().max(3)),
  amount_original: amount,
  context: json,
  properties: json,
});

export type StoredEvent = z.infer<typeof storedEventSchema>;

/**
 * The stored event's columns but its two JSON objects, for a producer that made them from an
 * event it validated whole (their shape and depth are that event's, checked already): each
 * column held to the same range, without walking the objects again.
 */
export const storedColumnsSchema = storedEventSchema.omit({ context: true, properties: true });

/**
 * The key an event is stored under (`customer_key`): `c:<customerId>` when the event names a
 * customer, else `a:<anonymousId>`. The same format names profiles (packages/profiles): an
 * anonymous key whose id a customer owns belongs to that customer's profile.
 */
export function customerKeyOf(ids: { customerId?: string; anonymousId?: string }): string {
  if (ids.customerId !== undefined) return `c:${ids.customerId}`;
  if (ids.anonymousId !== undefined) return `a:${ids.anonymousId}`;
  throw new Error('an event needs a customerId or an anonymousId');
}
