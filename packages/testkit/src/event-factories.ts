import { isoOf, type EventInput, type EventType } from '@rapport/schemas';

/** A fixed instant, so that factories give the same event every time. */
export const BASE_TIME = Date.UTC(2024, 4, 1, 12, 0, 0);

type Overrides = Partial<Record<keyof EventInput | 'properties', unknown>> &
  Record<string, unknown>;

const PROPERTIES: Record<EventType, Record<string, unknown> | undefined> = {
  page_view: { url: 'https://shop.example/products/42', title: 'Trail shoe', path: '/products/42' },
  click: { target: 'add-to-cart', url: 'https://shop.example/products/42' },
  search: { query: 'trail shoes', resultsCount: 12 },
  email: { action: 'opened', campaignId: 'spring-sale', messageId: 'm-1' },
  purchase: {
    orderId: 'o-1',
    revenue: 129.9,
    currency: 'USD',
    items: [{ sku: 'sku-42', name: 'Trail shoe', category: 'shoes', price: 129.9, quantity: 1 }],
  },
  refund: { orderId: 'o-1', amount: 129.9, currency: 'USD' },
  identify: { traits: { email: 'ada@example.com', name: 'Ada' } },
  interaction: { kind: 'call', score: 4 },
  track: { name: 'wishlist_added', sku: 'sku-42' },
};

/** A valid event of the given type; any field can be overridden (or set to undefined). */
export function makeEvent(type: EventType, overrides: Overrides = {}): Record<string, unknown> {
  const event: Record<string, unknown> = {
    type,
    customerId: 'cust-1',
    timestamp: isoOf(BASE_TIME),
    properties: PROPERTIES[type],
    ...overrides,
  };
  for (const key of Object.keys(event)) if (event[key] === undefined) delete event[key];
  return event;
}

/** `count` distinct valid events for one customer, one minute apart, cycling through types. */
export function makeEvents(
  count: number,
  options: { customerId?: string; prefix?: string; start?: number } = {},
): Record<string, unknown>[] {
  const types: EventType[] = ['page_view', 'click', 'search', 'email', 'track', 'interaction'];
  const start = options.start ?? BASE_TIME;
  return Array.from({ length: count }, (_, index) =>
    makeEvent(types[index % types.length]!, {
      eventId: `${options.prefix ?? 'evt'}-${index}`,
      customerId: options.customerId ?? 'cust-1',
      timestamp: isoOf(start + index * 60_000),
    }),
  );
}
