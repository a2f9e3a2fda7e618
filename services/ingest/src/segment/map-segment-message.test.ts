import type { StoredEvent } from '@rapport/schemas';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNormalizeEventStep } from '../steps/normalize-event-step.js';
import { createValidateEventStep } from '../steps/validate-event-step.js';
import { mapSegmentMessage, type SegmentMapOptions } from './map-segment-message.js';

const receivedAt = Date.parse('2024-05-01T12:00:05Z');
const validate = createValidateEventStep();
const normalize = createNormalizeEventStep({
  reportingCurrency: 'USD',
  currencyRates: { USD: 1, EUR: 1.1 },
});

type Outcome = { stored: StoredEvent } | { errors: Array<{ path: string; message: string }> };

/** The message through the mapping and the native steps, as the Segment routes do it. */
function ingest(message: unknown, options: Partial<SegmentMapOptions> = {}): Outcome {
  const mapped = mapSegmentMessage(message, { receivedAt, reportingCurrency: 'USD', ...options });
  if (!mapped.ok) return { errors: mapped.errors };
  const { event, fieldOf } = mapped.value;
  const valid = validate(event);
  const stored = valid.ok ? normalize(valid.value, receivedAt) : valid;
  if (!stored.ok) {
    return { errors: stored.errors.map((e) => ({ ...e, path: fieldOf(e.path) })) };
  }
  return { stored: stored.value };
}

const stored = (message: unknown, options: Partial<SegmentMapOptions> = {}) => {
  const outcome = ingest(message, options);
  if (!('stored' in outcome)) throw new Error(JSON.stringify(outcome.errors));
  return outcome.stored;
};
const paths = (message: unknown) => {
  const outcome = ingest(message);
  return 'errors' in outcome ? outcome.errors.map((error) => error.path) : [];
};

const base = {
  messageId: 'msg-1',
  userId: 'cust-1',
  timestamp: '2024-05-01T12:00:00Z',
};
const track = (event: string, properties: Record<string, unknown>) => ({
  ...base,
  type: 'track',
  event,
  properties,
});

describe('mapSegmentMessage: e-commerce spec', () => {
  const order = {
    order_id: 'o-1',
    revenue: 90,
    total: 99.5,
    currency: 'eur',
    coupon: 'SPRING',
    products: [
      { product_id: 'p-1', name: 'Mug', price: 45, quantity: 2, brand: 'Acme' },
      { sku: 'SKU-2', product_id: 'p-2', price: 9.5 },
    ],
  };

  it('turns Order Completed into a purchase, keeping the fields it does not map', () => {
    const event = stored(track('Order Completed', order));
    expect(event).toMatchObject({
      event_id: 'msg-1',
      type: 'purchase',
      customer_id: 'cust-1',
      order_id: 'o-1',
      amount_original: 90,
      amount: 99,
      currency: 'EUR',
    });
    expect(event.properties).toMatchObject({
      coupon: 'SPRING',
      items: [
        { sku: 'p-1', name: 'Mug', price: 45, quantity: 2, brand: 'Acme' },
        { sku: 'SKU-2', product_id: 'p-2', price: 9.5 },
      ],
    });
    expect(event.context).toMatchObject({ segment: { type: 'track', event: 'Order Completed' } });
  });

  it('takes total when there is no revenue, and the reporting currency when none is named', () => {
    const { revenue: _revenue, currency: _currency, ...rest } = order;
    const event = stored(track('order_completed', rest));
    expect(event).toMatchObject({ type: 'purchase', amount: 99.5, currency: 'USD' });
  });

  it('rejects an order without an order id or revenue, naming the Segment fields', () => {
    expect(paths(track('Order Completed', { revenue: 5 }))).toEqual(['properties.order_id']);
    expect(paths(track('Order Completed', { order_id: 'o' }))).toEqual(['properties.revenue']);
    expect(
      paths(track('Order Completed', { order_id: 'o', total: 1, products: [{ price: 1 }] })),
    ).toEqual(['properties.products[0].product_id']);
    expect(paths(track('Order Completed', { order_id: 'o', total: -1 }))).toEqual([
      'properties.total',
    ]);
  });

  it('turns Order Refunded into a refund of its total', () => {
    const event = stored(track('Order Refunded', { order_id: 'o-1', total: 20, currency: 'USD' }));
    expect(event).toMatchObject({ type: 'refund', order_id: 'o-1', amount: 20 });
    expect(paths(track('Order Refunded', { order_id: 'o-1' }))).toEqual(['properties.total']);
  });

  it('turns Products Searched into a search and Product Clicked into a click', () => {
    expect(stored(track('Products Searched', { query: 'blue mug' }))).toMatchObject({
      type: 'search',
      properties: { query: 'blue mug' },
    });
    expect(stored(track('Product Clicked', { product_id: 507, name: 'Mug' }))).toMatchObject({
      type: 'click',
      properties: { target: '507', name: 'Mug' },
    });
    expect(paths(track('Products Searched', {}))).toEqual(['properties.query']);
    expect(paths(track('Product Clicked', {}))).toEqual(['properties.product_id']);
  });
});

describe('mapSegmentMessage: email spec', () => {
  const actions = {
    'Email Delivered': 'delivered',
    'Email Opened': 'opened',
    'Email Link Clicked': 'clicked',
    'Email Bounced': 'bounced',
    'Email Marked as Spam': 'complained',
    Unsubscribed: 'unsubscribed',
  };
  for (const [name, action] of Object.entries(actions)) {
    it(`turns ${name} into an email event (${action})`, () => {
      const event = stored(
        track(name, { campaign_id: 'spring', email_id: 'e-9', link_url: 'https://x.example' }),
      );
      expect(event).toMatchObject({
        type: 'email',
        channel: 'email',
        properties: {
          action,
          campaignId: 'spring',
          messageId: 'e-9',
          linkUrl: 'https://x.example',
        },
      });
    });
  }

  it('needs a campaign, by id or name', () => {
    expect(paths(track('Email Opened', {}))).toEqual(['properties.campaign_id']);
    expect(stored(track('Email Opened', { campaign_name: 'Spring' })).properties).toMatchObject({
      campaignId: 'Spring',
    });
  });
});

describe('mapSegmentMessage: calls', () => {
  it('keeps any other track as a track event named by its event', () => {
    const event = stored(track('Signed Up', { plan: 'pro', name: 'Ada' }));
    expect(event).toMatchObject({
      type: 'track',
      channel: 'other',
      properties: { name: 'Signed Up', plan: 'pro', nameProperty: 'Ada' },
    });
    expect(paths({ ...base, type: 'track', properties: {} })).toEqual(['event']);
  });

  it('turns page into page_view, with the url from properties or context.page', () => {
    const page = { ...base, type: 'page', name: 'Home', properties: { url: 'https://s.example/' } };
    expect(stored(page)).toMatchObject({
      type: 'page_view',
      properties: { url: 'https://s.example/', name: 'Home' },
    });
    const fromContext = {
      ...base,
      type: 'page',
      context: { page: { url: 'https://s.example/a', title: 'A' } },
    };
    expect(stored(fromContext).properties).toMatchObject({
      url: 'https://s.example/a',
      title: 'A',
    });
    expect(paths({ ...base, type: 'page' })).toEqual(['properties.url']);
  });

  it('turns screen into a mobile page_view', () => {
    expect(stored({ ...base, type: 'screen', name: 'Basket' })).toMatchObject({
      type: 'page_view',
      channel: 'mobile',
      properties: { url: 'screen:Basket', title: 'Basket' },
    });
    expect(paths({ ...base, type: 'screen' })).toEqual(['name']);
  });

  it('turns identify into identify, keeping every top-level trait', () => {
    const event = stored({
      ...base,
      type: 'identify',
      anonymousId: 'anon-1',
      traits: { email: 'ada@example.com', plan: 'pro', address: { city: 'Paris' } },
    });
    expect(event).toMatchObject({
      type: 'identify',
      customer_id: 'cust-1',
      anonymous_id: 'anon-1',
      properties: {
        traits: { email: 'ada@example.com', plan: 'pro', address: { city: 'Paris' } },
      },
    });
    expect(paths({ ...base, userId: undefined, anonymousId: 'a', type: 'identify' })).toEqual([
      'userId',
    ]);
    expect(paths({ ...base, type: 'identify', traits: { email: 'not-an-email' } })).toEqual([
      'traits.email',
    ]);
  });

  it('turns alias into an identity link from previousId to userId', () => {
    const event = stored({ ...base, type: 'alias', previousId: 'anon-7', anonymousId: 'x' });
    expect(event).toMatchObject({
      type: 'identify',
      customer_id: 'cust-1',
      anonymous_id: 'anon-7',
    });
    expect(paths({ ...base, type: 'alias' })).toEqual(['previousId']);
    expect(paths({ ...base, userId: undefined, type: 'alias', previousId: 'a' })).toEqual([
      'userId',
    ]);
  });

  it('keeps group as a track event named Group', () => {
    expect(stored({ ...base, type: 'group', groupId: 42, traits: { name: 'Acme' } })).toMatchObject(
      {
        type: 'track',
        properties: { name: 'Group', groupId: '42', traits: { name: 'Acme' } },
      },
    );
    expect(paths({ ...base, type: 'group' })).toEqual(['groupId']);
  });

  it('names the call a message must be', () => {
    expect(paths({ ...base, type: 'screenview' })).toEqual(['type']);
    expect(paths({ ...base })).toEqual(['type']);
    expect(paths([])).toEqual(['']);
  });
});

describe('mapSegmentMessage: envelope', () => {
  it("corrects the client's clock by the batch's sentAt, Segment's rule", () => {
    // The client clock is 10 minutes fast: it sent at 12:10, the server got it at 12:00:05.
    const event = stored(
      { ...base, type: 'track', event: 'E', timestamp: '2024-05-01T12:09:00Z' },
      { batchSentAt: '2024-05-01T12:10:00Z' },
    );
    expect(event.timestamp).toBe(Date.parse('2024-05-01T11:59:05Z'));
    expect(event.original_timestamp).toBe(Date.parse('2024-05-01T12:09:00Z'));
  });

  it('reads originalTimestamp when there is no timestamp, and else the receipt time', () => {
    const { timestamp: _timestamp, ...untimed } = base;
    const original = stored({
      ...untimed,
      type: 'track',
      event: 'E',
      originalTimestamp: '2024-05-01T11:00:00Z',
    });
    expect(original.timestamp).toBe(Date.parse('2024-05-01T11:00:00Z'));
    expect(stored({ ...untimed, type: 'track', event: 'E' }).timestamp).toBe(receivedAt);
    expect(
      paths({ ...untimed, type: 'track', event: 'E', originalTimestamp: 'yesterday' }),
    ).toEqual(['originalTimestamp']);
  });

  it('uses messageId as the event id, hashing one too long to be an eventId', () => {
    const long = 'x'.repeat(100);
    const first = stored({ ...track('E', {}), messageId: long });
    expect(first.event_id).toMatch(/^m-[0-9a-f]{40}$/);
    expect(stored({ ...track('E', {}), messageId: long }).event_id).toBe(first.event_id);
  });

  it('drops the write key and keeps unknown top-level fields in context.segment', () => {
    const event = stored({
      ...track('E', {}),
      writeKey: 'secret-write-key',
      integrations: { All: true },
      _metadata: { bundled: [] },
      anonymousId: 'anon-1',
      context: { ip: '203.0.113.9', library: { name: 'analytics-node' } },
    });
    expect(JSON.stringify(event)).not.toContain('secret-write-key');
    expect(event.context).toEqual({
      ip: '203.0.113.9',
      library: { name: 'analytics-node' },
      segment: {
        type: 'track',
        event: 'E',
        integrations: { All: true },
        _metadata: { bundled: [] },
      },
    });
  });

  it("takes the channel from Segment's channel or the sending library", () => {
    const from = (context: object, extra: object = {}) =>
      stored({ ...track('Signed Up', {}), context, ...extra }).channel;
    expect(from({ library: { name: 'analytics.js', version: 'npm:next-1.84.3' } })).toBe('web');
    expect(from({ library: { name: 'analytics-ios' } })).toBe('mobile');
    expect(from({ library: { name: '@segment/analytics-node' } })).toBe('other');
    expect(from({}, { channel: 'browser' })).toBe('web');
    const email = stored({
      ...track('Email Opened', { campaign_id: 'c' }),
      context: { library: { name: 'analytics.js' } },
    });
    expect(email.channel).toBe('email');
  });

  it('names userId when a message has neither userId nor anonymousId', () => {
    expect(paths({ ...track('E', {}), userId: undefined })).toEqual(['userId']);
  });

  it('reads null ids as none, as analytics.js sends them for a user not yet identified', () => {
    const event = stored({ ...track('E', {}), userId: null, anonymousId: 'anon-3' });
    expect(event).toMatchObject({ customer_id: '', anonymous_id: 'anon-3' });
    expect(paths({ ...track('E', {}), userId: null })).toEqual(['userId']);
  });
});

describe('mapSegmentMessage: any input', () => {
  it('reads null properties, traits and context as none, and rejects other non-objects', () => {
    expect(
      stored({ ...base, type: 'identify', traits: null, context: null, properties: null }),
    ).toMatchObject({ type: 'identify', customer_id: 'cust-1' });
    expect(paths({ ...track('E', {}), properties: 'plan=pro', context: [1] })).toEqual([
      'properties',
      'context',
    ]);
  });

  it('never throws, and names a field for every rejection', () => {
    const segmentish = fc.record(
      {
        type: fc.constantFrom('track', 'identify', 'page', 'screen', 'alias', 'group', 'x'),
        messageId: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        userId: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        anonymousId: fc.oneof(fc.string(), fc.constant(null)),
        previousId: fc.jsonValue(),
        groupId: fc.jsonValue(),
        event: fc.oneof(
          fc.constantFrom('Order Completed', 'Email Opened', 'Product Clicked'),
          fc.string(),
        ),
        timestamp: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.jsonValue(),
        ),
        sentAt: fc.jsonValue(),
        properties: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()),
        traits: fc.jsonValue(),
        context: fc.jsonValue(),
      },
      { requiredKeys: ['type'] },
    );
    fc.assert(
      fc.property(fc.oneof(segmentish, fc.jsonValue()), fc.jsonValue(), (message, batchSentAt) => {
        const outcome = ingest(message, { batchSentAt });
        if ('errors' in outcome) {
          expect(outcome.errors.length).toBeGreaterThan(0);
          for (const error of outcome.errors) expect(typeof error.path).toBe('string');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
