import type { StoredEvent } from '@rapport/schemas';
import { makeEvent } from '@rapport/testkit';

/** Customers the crash load writes to: few, so every profile gets many blocks. */
const CUSTOMERS = 24;

// Two moments in different years: a batch spans two partitions of `events`.
const TIMES = [Date.UTC(2023, 11, 31, 12), Date.UTC(2024, 0, 1, 12)];

/**
 * One event of the crash suite's load: every projection gets some (stats, orders and
 * categories from purchases, traits and identity links from identify events, anonymous
 * visitors). `pick` in [0, 1) chooses the customer; the id is unique per producer, round and index.
 */
export function crashLoadEvent(input: {
  producer: number;
  round: number;
  index: number;
  pick: number;
}): Record<string, unknown> & { eventId: string } {
  const { producer, round, index } = input;
  const customer = Math.floor(input.pick * CUSTOMERS);
  const eventId = `crash-${producer}-${round}-${index}`;
  const at = new Date(TIMES[index % 2]! + round * 1000 + index).toISOString();
  const common = { eventId, customerId: `crash-c${customer}`, timestamp: at };
  switch (index % 6) {
    case 0:
      return makeEvent('purchase', {
        ...common,
        properties: {
          orderId: `o-${eventId}`,
          revenue: 10 + (index % 7),
          currency: 'USD',
          items: [{ sku: 's', name: 'n', category: `cat-${index % 3}`, price: 10, quantity: 1 }],
        },
      }) as never;
    case 1:
      return makeEvent('identify', {
        ...common,
        anonymousId: `crash-a${customer}-${round % 3}`,
        properties: {
          traits: { email: `c${customer}-${round}@example.com`, plan: `p${index % 4}` },
        },
      }) as never;
    case 2:
      return makeEvent('page_view', {
        ...common,
        customerId: undefined,
        anonymousId: `crash-v${customer}`,
      }) as never;
    case 3:
      return makeEvent('email', common) as never;
    default:
      return makeEvent('page_view', common) as never;
  }
}

/** The same load as the log stores it (the bus's wire format), for tests below ingest. */
export function crashLoadStoredEvent(input: {
  producer: number;
  round: number;
  index: number;
  pick: number;
}): StoredEvent {
  const { producer, round, index } = input;
  const customer = Math.floor(input.pick * CUSTOMERS);
  const eventId = `fault-${producer}-${round}-${index}`;
  const at = TIMES[index % 2]! + round * 1000 + index;
  const kind = index % 6;
  const customerId = kind === 2 ? '' : `fault-c${customer}`;
  const anonymousId =
    kind === 1 ? `fault-a${customer}-${round % 3}` : kind === 2 ? `fault-v${customer}` : '';
  const purchase = kind === 0;
  const event: StoredEvent = {
    event_id: eventId,
    type: purchase ? 'purchase' : kind === 1 ? 'identify' : kind === 3 ? 'email' : 'page_view',
    customer_key: customerId !== '' ? `c:${customerId}` : `a:${anonymousId}`,
    customer_id: customerId,
    anonymous_id: anonymousId,
    timestamp: at,
    original_timestamp: at,
    sent_at: null,
    received_at: Date.now(),
    channel: kind === 3 ? 'email' : 'web',
    order_id: purchase ? `o-${eventId}` : '',
    amount: purchase ? 10 + (index % 7) : 0,
    currency: purchase ? 'USD' : '',
    amount_original: purchase ? 10 + (index % 7) : 0,
    context: {},
    properties: purchase
      ? { items: [{ sku: 's', category: `cat-${index % 3}`, price: 10, quantity: 1 }] }
      : kind === 1
        ? { traits: { email: `c${customer}-${round}@example.com`, plan: `p${index % 4}` } }
        : kind === 3
          ? { action: 'opened', campaignId: 'c-1' }
          : { url: 'https://shop.example/' },
  };
  return event;
}
