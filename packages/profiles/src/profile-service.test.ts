import { LatestRuns, RunStore } from '@rapport/runs';
import { eventRow, insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileCache } from './profile-cache.js';
import { ProfileService, type ProfileSegments } from './profile-service.js';

// The profile read path on hand-built events: what the SQL derives reaches the API unchanged.

let test: TestStore;
let service: ProfileService;
const NOW = Date.UTC(2024, 11, 31);
const DAY = 86_400_000;

const purchase = (customerId: string, daysAgo: number, amount: number, categories: string[]) =>
  eventRow({
    type: 'purchase',
    customerId,
    at: NOW - daysAgo * DAY,
    orderId: `${customerId}-${daysAgo}`,
    amount,
    currency: 'USD',
    properties: { items: categories.map((category) => ({ category, quantity: 1 })) },
  });

beforeAll(async () => {
  test = await openTestStore();
  await insertRows(test.store, 'events', [
    purchase('ada', 10, 10, ['hats', 'shoes']),
    purchase('ada', 5, 10, ['shoes', 'socks']),
    purchase('ada', 2, 13.33, ['shoes']),
    eventRow({ type: 'refund', customerId: 'ada', at: NOW - DAY, amount: 3.335 }),
    eventRow({ type: 'email', customerId: 'ada', at: NOW - DAY, properties: { action: 'sent' } }),
    eventRow({ type: 'email', customerId: 'ada', at: NOW, properties: { action: 'complained' } }),
    eventRow({ type: 'click', anonymousId: 'dev-1', at: NOW - 3 * DAY }),
    eventRow({ type: 'page_view', anonymousId: 'dev-1', at: NOW - 3 * DAY }),
    eventRow({ type: 'identify', customerId: 'ada', anonymousId: 'dev-1', at: NOW - 3 * DAY }),
    eventRow({ type: 'page_view', customerId: 'quiet', at: NOW - 200 * DAY }),
    eventRow({ type: 'page_view', anonymousId: 'stranger', at: NOW - DAY }),
  ]);
  service = new ProfileService({
    store: test.store,
    cache: new ProfileCache({ maxBytes: 0 }),
    latest: new LatestRuns(test.store, 0),
    runs: new RunStore(test.store),
    segments: { ofProfile: async () => [], describe: async () => [], invalidate: () => {} },
    currency: 'USD',
    lifecycle: { lapsedAfterDays: 90 },
    now: () => NOW,
  });
});
afterAll(async () => {
  await test.dispose();
});

describe('ProfileService', () => {
  it('merges linked anonymous activity and rounds amounts to cents once, in SQL', async () => {
    const profile = await service.customer('ada');
    expect(profile).toMatchObject({
      customerId: 'ada',
      anonymousIds: ['dev-1'],
      lifecycle: 'repeat',
      stats: {
        events: 9,
        clicks: 1,
        pageViews: 1,
        visits: 1,
        orders: 3,
        revenue: 33.33,
        refunds: 1,
        refundedAmount: 3.34,
        // 33.33 − 3.335 = 29.995, rounded half away from zero.
        netRevenue: 30,
        averageOrderValue: 11.11,
        lastOrder: { orderId: 'ada-2', value: 13.33, at: new Date(NOW - 2 * DAY).toISOString() },
        email: { sent: 1, complained: 1, openRate: 0, clickRate: 0, delivered: 0 },
        categories: ['hats', 'shoes', 'socks'],
        topCategories: [
          { category: 'shoes', items: 3 },
          { category: 'hats', items: 1 },
          { category: 'socks', items: 1 },
        ],
      },
      rfm: null,
      clv: null,
      cluster: null,
      updatedAt: new Date(NOW).toISOString(),
    });
  });

  it('stages lifecycles and leaves rates and order values out, not NaN, without data', async () => {
    const quiet = await service.customer('quiet');
    expect(quiet).toMatchObject({
      lifecycle: 'lapsed',
      stats: { orders: 0, averageOrderValue: null, lastOrder: null, categories: [] },
    });
    expect(quiet?.stats.email).toMatchObject({ sent: 0, openRate: null, clickRate: null });
    expect(await service.customer('nobody')).toBeUndefined();
  });

  it('reads a visitor of its own, and a device through the customer who owns it', async () => {
    expect(await service.visitor('stranger')).toMatchObject({
      customerId: null,
      anonymousIds: ['stranger'],
      lifecycle: 'visitor',
      stats: { events: 1, pageViews: 1 },
    });
    expect(await service.visitor('dev-1')).toMatchObject({ customerId: 'ada' });
    expect(await service.visitor('never-seen')).toBeUndefined();
  });

  it('reads a profile as it stood at a time, from the log', async () => {
    const before = await service.customer('ada', NOW - 4 * DAY);
    expect(before).toMatchObject({
      anonymousIds: [],
      lifecycle: 'repeat',
      asOf: new Date(NOW - 4 * DAY).toISOString(),
      stats: { orders: 2, revenue: 20, averageOrderValue: 10, clicks: 0 },
    });
    // The log and the projections agree once the time is past every event.
    const past = await service.customer('ada', NOW + DAY);
    const current = await service.customer('ada');
    expect({ ...past, asOf: null }).toEqual(current);
  });
});

describe('ProfileService, current profiles through the cache', () => {
  const cached = (segments: ProfileSegments) =>
    new ProfileService({
      store: test.store,
      cache: new ProfileCache({ maxBytes: 1_000_000 }),
      latest: new LatestRuns(test.store, 0),
      runs: new RunStore(test.store),
      segments,
      currency: 'USD',
      lifecycle: { lapsedAfterDays: 90 },
      now: () => NOW,
    });

  it('answers a cached profile at once, the same object as the read that cached it', async () => {
    const cachedService = cached({
      ofProfile: async () => [],
      describe: async () => [],
      invalidate: () => {},
    });
    const first = cachedService.currentCustomer('ada');
    expect(first).toBeInstanceOf(Promise);
    const read = await first;
    const again = cachedService.currentCustomer('ada');
    expect(again).not.toBeInstanceOf(Promise);
    expect(again).toBe(read);
    expect(again).toEqual(await service.customer('ada'));
    expect(await cachedService.currentCustomer('nobody')).toBeUndefined();
  });

  it("names a cached profile's segments as they are now", async () => {
    let name = 'Shoe lovers';
    const membership = { id: 's1', name: '', since: '2024-12-01T00:00:00.000Z', version: 1 };
    const cachedService = cached({
      ofProfile: async () => [{ ...membership, name, computedAt: '' }],
      describe: async (segments) => segments.map((segment) => ({ ...segment, name })),
      invalidate: () => {},
    });
    const read = await cachedService.currentCustomer('ada');
    expect(read?.segments).toEqual([{ ...membership, name: 'Shoe lovers', computedAt: '' }]);
    // Unchanged names: the cached profile itself; renamed: the profile with the new name.
    expect(await cachedService.currentCustomer('ada')).toBe(read);
    name = 'Shoe fans';
    const renamed = await cachedService.currentCustomer('ada');
    expect(renamed?.segments[0]?.name).toBe('Shoe fans');
    expect(renamed).toEqual({ ...read, segments: [{ ...membership, name, computedAt: '' }] });
    // The renamed answer is kept, frozen, while the name holds: checked and serialized once.
    expect(await cachedService.currentCustomer('ada')).toBe(renamed);
    expect(Object.isFrozen(renamed)).toBe(true);
  });

  it('answers a cached profile with segments at once while their names are at hand', async () => {
    const membership = { id: 's1', name: 'VIP', since: '2024-12-01T00:00:00.000Z', version: 1 };
    let atHand = false;
    const cachedService = cached({
      ofProfile: async () => [{ ...membership, computedAt: '' }],
      describe: async (segments) => segments.map((segment) => ({ ...segment })),
      describeNow: (segments) => (atHand ? segments.map((segment) => ({ ...segment })) : undefined),
      invalidate: () => {},
    });
    const read = await cachedService.currentCustomer('ada');
    expect(cachedService.currentCustomer('ada')).toBeInstanceOf(Promise);
    atHand = true;
    expect(cachedService.currentCustomer('ada')).toBe(read);
  });
});
