import { toBusMessage, type BusMessage } from '@rapport/bus';
import type { StoredEvent } from '@rapport/schemas';

// Two moments in different months and years: in different partitions of `events`, whether
// it is partitioned by month or by year.
const EARLIER = Date.UTC(2023, 11, 31, 12, 0, 0);
const LATER = Date.UTC(2024, 0, 1, 12, 0, 0);

/** A valid stored event (the bus's wire format), a purchase unless told otherwise. */
export function storedEvent(
  eventId: string,
  options: { customerId?: string; period?: 'earlier' | 'later'; amount?: number } = {},
): StoredEvent {
  const customerId = options.customerId ?? 'ada';
  const at = options.period === 'later' ? LATER : EARLIER;
  return {
    event_id: eventId,
    type: 'purchase',
    customer_key: `c:${customerId}`,
    customer_id: customerId,
    anonymous_id: '',
    timestamp: at,
    original_timestamp: at,
    sent_at: null,
    received_at: at,
    channel: 'web',
    order_id: `o-${eventId}`,
    amount: options.amount ?? 10,
    currency: 'USD',
    amount_original: options.amount ?? 10,
    context: {},
    properties: { orderId: `o-${eventId}`, revenue: options.amount ?? 10, currency: 'USD' },
  };
}

/** The bus message ingest would publish for the event. */
export function messageOf(event: StoredEvent): BusMessage {
  return toBusMessage(event);
}
