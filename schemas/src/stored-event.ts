import { z } from 'zod';
import { CHANNELS, STORED_EVENT_TYPES } from './events.js';

/**
 * An accepted event after normalisation, in the column layout of the `events` table.
 * This is also the message format on the bus (one JSON object per event), so the
 * pipeline writes what ingest produced without reshaping it.
 */
export const storedEventSchema = z.object({
  event_id: z.string().min(1).max(64),
  type: z.enum(STORED_EVENT_TYPES),
  /** `c:<customerId>` when the event names a customer, else `a:<anonymousId>`. */
  customer_key: z.string().min(3),
  customer_id: z.string(),
  anonymous_id: z.string(),
  /** Event time in epoch milliseconds, corrected for client clock skew. */
  timestamp: z.number().int(),
  /** The timestamp as the producer sent it, epoch milliseconds. */
  original_timestamp: z.number().int(),
  sent_at: z.number().int().nullable(),
  received_at: z.number().int(),
  channel: z.enum(CHANNELS),
  order_id: z.string(),
  /** Purchase revenue or refund amount in the reporting currency; 0 for other types. */
  amount: z.number().finite(),
  /** The currency the producer reported in; empty for types without money. */
  currency: z.string(),
  amount_original: z.number().finite(),
  context: z.record(z.string(), z.unknown()),
  properties: z.record(z.string(), z.unknown()),
});

export type StoredEvent = z.infer<typeof storedEventSchema>;

export function customerKeyOf(ids: { customerId?: string; anonymousId?: string }): string {
  if (ids.customerId !== undefined) return `c:${ids.customerId}`;
  if (ids.anonymousId !== undefined) return `a:${ids.anonymousId}`;
  throw new Error('an event needs a customerId or an anonymousId');
}
