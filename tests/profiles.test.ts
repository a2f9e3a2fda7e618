import type { Profile } from '@rapport/schemas';
import { makeEvent } from '@rapport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine({
    RAPPORT_CURRENCY_RATES: 'EUR=1.1',
    RAPPORT_LAPSED_AFTER_DAYS: '30',
  });
});
afterAll(() => engine.dispose());

const DAY = 86_400_000;
// One clock reading for the whole file, so that two journeys built apart are alike to the ms.
const NOW = Date.now();
const daysAgo = (days: number, minutes = 0) =>
  new Date(NOW - days * DAY + minutes * 60_000).toISOString();

async function send(events: unknown[]) {
  const response = await engine.app.inject({
    method: 'POST',
    url: '/v1/events',
    payload: { events },
  });
  expect(response.statusCode).toBe(200);
  return response.json<{ accepted: number; duplicates: number }>();
}

async function profile(id: string, query = ''): Promise<Profile> {
  const response = await engine.app.inject({ url: `/v1/customers/${id}${query}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Profile>();
}

/** A shopper who browses anonymously, identifies, buys twice and gets a refund. */
function journey(customerId: string, anonymousId: string, start: number) {
  const at = (minutes: number) => daysAgo(start, minutes);
  return [
    makeEvent('page_view', {
      eventId: `${customerId}-1`,
      customerId: undefined,
      anonymousId,
      timestamp: at(0),
    }),
    makeEvent('search', {
      eventId: `${customerId}-2`,
      customerId: undefined,
      anonymousId,
      timestamp: at(1),
    }),
    makeEvent('identify', {
      eventId: `${customerId}-3`,
      customerId,
      anonymousId,
      timestamp: at(2),
      properties: { traits: { email: `${customerId}@Example.com`, plan: 'free' } },
    }),
    makeEvent('purchase', {
      eventId: `${customerId}-4`,
      customerId,
      timestamp: at(3),
      properties: {
        orderId: `${customerId}-o1`,
        revenue: 100,
        currency: 'EUR',
        items: [
          { sku: 's1', category: 'shoes' },
          { sku: 's2', category: 'socks' },
          { sku: 's3', category: 'shoes' },
        ],
      },
    }),
    makeEvent('email', {
      eventId: `${customerId}-5`,
      customerId,
      timestamp: at(4),
      properties: { action: 'sent', campaignId: 'k' },
    }),
    makeEvent('email', {
      eventId: `${customerId}-6`,
      customerId,
      timestamp: at(5),
      properties: { action: 'opened', campaignId: 'k' },
    }),
    makeEvent('purchase', {
      eventId: `${customerId}-7`,
      customerId,
      timestamp: at(6),
      properties: { orderId: `${customerId}-o2`, revenue: 20, currency: 'USD' },
    }),
    makeEvent('refund', {
      eventId: `${customerId}-8`,
      customerId,
      timestamp: at(7),
      properties: { orderId: `${customerId}-o2`, amount: 20, currency: 'USD' },
    }),
    makeEvent('identify', {
      eventId: `${customerId}-9`,
      customerId,
      timestamp: at(8),
      properties: { traits: { plan: 'pro' } },
    }),
    makeEvent('interaction', {
      eventId: `${customerId}-10`,
      customerId,
      timestamp: at(9),
      properties: { kind: 'store_visit' },
    }),
  ];
}

describe('customer profiles', () => {
  it('stitches anonymous activity to the customer and computes the stats', async () => {
    const events = journey('p1', 'p1-device', 2);
    await send(events);
    const p = await profile('p1');
    expect(p).toMatchObject({
      customerId: 'p1',
      anonymousIds: ['p1-device'],
      lifecycle: 'repeat',
      traits: { email: 'p1@Example.com', plan: 'pro' },
      currency: 'USD',
      rfm: null,
      segments: [],
    });
    expect(p.stats).toMatchObject({
      events: 10,
      pageViews: 1,
      searches: 1,
      visits: 1,
      interactions: 1,
      orders: 2,
      revenue: 130,
      refunds: 1,
      refundedAmount: 20,
      netRevenue: 110,
      averageOrderValue: 65,
      lastOrder: { orderId: 'p1-o2', value: 20 },
      email: { sent: 1, opened: 1, openRate: 1, clickRate: 0 },
      topCategories: [
        { category: 'shoes', items: 2 },
        { category: 'socks', items: 1 },
      ],
      eventsByChannel: { web: 7, email: 2, store: 1 },
    });
    expect(p.stats.firstSeen).toBe(events[0]?.timestamp);
    expect(p.updatedAt).not.toBeNull();
  });

  it('reflects a write in the very next read, also when the profile was cached', async () => {
    await send([
      makeEvent('page_view', { eventId: 'rw-1', customerId: 'rw', timestamp: daysAgo(1) }),
    ]);
    expect((await profile('rw')).stats.pageViews).toBe(1);
    await send([
      makeEvent('page_view', { eventId: 'rw-2', customerId: 'rw', timestamp: daysAgo(1, 1) }),
    ]);
    expect((await profile('rw')).stats.pageViews).toBe(2);
    // An anonymous event of a linked device changes the cached customer profile too.
    await send([
      makeEvent('identify', {
        eventId: 'rw-3',
        customerId: 'rw',
        anonymousId: 'rw-dev',
        timestamp: daysAgo(1, 2),
      }),
    ]);
    expect((await profile('rw')).stats.pageViews).toBe(2);
    await send([
      makeEvent('page_view', {
        eventId: 'rw-4',
        customerId: undefined,
        anonymousId: 'rw-dev',
        timestamp: daysAgo(1, 3),
      }),
    ]);
    expect((await profile('rw')).stats.pageViews).toBe(3);
  });

  it('is not changed by a retried or redelivered event', async () => {
    const events = journey('p2', 'p2-device', 3);
    await send(events);
    const before = await profile('p2');
    expect(await send(events)).toMatchObject({ accepted: 0, duplicates: events.length });
    expect(await profile('p2')).toEqual(before);
  });

  it('gives the same profile for events sent late and out of order; the latest trait by event time wins', async () => {
    const inOrder = journey('p3', 'p3-device', 4);
    const shuffled = journey('p4', 'p4-device', 4).reverse();
    await send(inOrder);
    for (const event of shuffled) await send([event]);
    const [a, b] = [await profile('p3'), await profile('p4')];
    // Identical but for the ids in them and the arrival time.
    const comparable = (p: Profile, id: string) =>
      JSON.parse(JSON.stringify({ ...p, updatedAt: null }).replaceAll(id, 'ID')) as unknown;
    expect(comparable(b, 'p4')).toEqual(comparable(a, 'p3'));
    expect(b.traits.plan).toBe('pro');
    expect(b.stats.lastOrder?.orderId).toBe('p4-o2');
  });

  it('moves through the lifecycle stages', async () => {
    await send([
      makeEvent('page_view', { eventId: 'lc-lead', customerId: 'lc-lead', timestamp: daysAgo(1) }),
    ]);
    await send([
      makeEvent('purchase', { eventId: 'lc-one', customerId: 'lc-one', timestamp: daysAgo(1) }),
    ]);
    await send([
      makeEvent('purchase', { eventId: 'lc-old', customerId: 'lc-old', timestamp: daysAgo(31) }),
    ]);
    await send([
      makeEvent('page_view', {
        eventId: 'lc-anon',
        customerId: undefined,
        anonymousId: 'lc-anon',
        timestamp: daysAgo(1),
      }),
    ]);
    expect((await profile('lc-lead')).lifecycle).toBe('lead');
    expect((await profile('lc-one')).lifecycle).toBe('customer');
    expect((await profile('p1')).lifecycle).toBe('repeat');
    expect((await profile('lc-old')).lifecycle).toBe('lapsed');
    const visitor = await engine.app.inject({ url: '/v1/visitors/lc-anon' });
    expect(visitor.json()).toMatchObject({
      customerId: null,
      lifecycle: 'visitor',
      anonymousIds: ['lc-anon'],
    });
    const device = await engine.app.inject({ url: '/v1/visitors/p1-device' });
    expect(device.json()).toMatchObject({ customerId: 'p1' });
  });

  it('returns the profile as it stood at a time', async () => {
    const events = journey('p5', 'p5-device', 5);
    await send(events);
    const afterIdentify = await profile(
      'p5',
      `?asOf=${encodeURIComponent(String(events[2]?.timestamp))}`,
    );
    expect(afterIdentify).toMatchObject({
      lifecycle: 'lead',
      asOf: events[2]?.timestamp,
      traits: { plan: 'free' },
      anonymousIds: ['p5-device'],
      stats: { events: 3, orders: 0, pageViews: 1 },
    });
    // Before the identify event, nothing tied any activity to this customer yet.
    const beforeIdentify = await engine.app.inject({
      url: `/v1/customers/p5?asOf=${encodeURIComponent(String(events[1]?.timestamp))}`,
    });
    expect(beforeIdentify.statusCode).toBe(404);
    const now = await profile('p5', `?asOf=${encodeURIComponent(new Date().toISOString())}`);
    expect({ ...now, asOf: null }).toEqual(await profile('p5'));
  });

  it('finds customers by their current email, case-insensitively', async () => {
    const found = await engine.app.inject({ url: '/v1/customers?email=P1@example.COM' });
    expect(found.json<{ customers: Profile[] }>().customers.map((c) => c.customerId)).toEqual([
      'p1',
    ]);
    await send([
      makeEvent('identify', {
        eventId: 'p1-new-email',
        customerId: 'p1',
        timestamp: daysAgo(0, -1),
        properties: { traits: { email: 'p1-new@example.com' } },
      }),
    ]);
    const old = await engine.app.inject({ url: '/v1/customers?email=p1@example.com' });
    expect(old.json()).toEqual({ customers: [] });
    const bad = await engine.app.inject({ url: '/v1/customers' });
    expect(bad.statusCode).toBe(400);
  });

  it('lets an admin undo a wrong link, and the profile follows', async () => {
    await send([
      makeEvent('page_view', {
        eventId: 'shared-1',
        customerId: undefined,
        anonymousId: 'shared-device',
        timestamp: daysAgo(2),
      }),
      makeEvent('identify', {
        eventId: 'shared-2',
        customerId: 'p6',
        anonymousId: 'shared-device',
        timestamp: daysAgo(2, 1),
      }),
    ]);
    expect((await profile('p6')).stats.pageViews).toBe(1);
    const undo = await engine.app.inject({
      method: 'DELETE',
      url: '/v1/customers/p6/links/shared-device',
    });
    expect(undo.statusCode).toBe(200);
    const after = await profile('p6');
    expect(after.anonymousIds).toEqual([]);
    expect(after.stats).toMatchObject({ pageViews: 0, events: 1 });
    const again = await engine.app.inject({
      method: 'DELETE',
      url: '/v1/customers/p6/links/shared-device',
    });
    expect(again.statusCode).toBe(404);
    // A later identify links the device again.
    await send([
      makeEvent('identify', {
        eventId: 'shared-3',
        customerId: 'p6',
        anonymousId: 'shared-device',
        timestamp: daysAgo(0, 600),
      }),
    ]);
    expect((await profile('p6')).anonymousIds).toEqual(['shared-device']);
  });

  it('answers 404 for a customer it knows nothing of', async () => {
    expect((await engine.app.inject({ url: '/v1/customers/nobody' })).statusCode).toBe(404);
    expect((await engine.app.inject({ url: '/v1/visitors/nobody' })).statusCode).toBe(404);
  });
});
