import { describe, expect, it } from 'vitest';
import { assembleProfile, lifecycleOf } from './assemble-profile.js';
import type { StatsRow } from './profile-query.js';

const DAY = 86_400_000;
const now = Date.UTC(2024, 11, 31);
const rules = { lapsedAfterDays: 90 };

describe('lifecycleOf', () => {
  const stage = (identified: boolean, orders: number, daysAgo: number) =>
    lifecycleOf({ identified, orders, lastSeen: now - daysAgo * DAY, now, rules });

  it('walks visitor → lead → customer → repeat, and lapsed after the quiet period', () => {
    expect(stage(false, 0, 1)).toBe('visitor');
    expect(stage(false, 3, 400)).toBe('visitor');
    expect(stage(true, 0, 1)).toBe('lead');
    expect(stage(true, 1, 1)).toBe('customer');
    expect(stage(true, 2, 90)).toBe('repeat');
    expect(stage(true, 2, 91)).toBe('lapsed');
    expect(stage(true, 0, 91)).toBe('lapsed');
  });
});

describe('assembleProfile', () => {
  const row: StatsRow = {
    first_seen: now - 10 * DAY,
    last_seen: now - DAY,
    last_received: now,
    events: 12,
    by_type: { page_view: 6, search: 2, purchase: 3, refund: 1 },
    by_channel: { web: 12 },
    visits: 4,
    orders: 3,
    revenue: 90.005,
    refunds: 1,
    refunded: 10,
    last_order: ['o-3', 40],
    last_order_at: now - 2 * DAY,
    email: { sent: 4, opened: 2, clicked: 1 },
    categories: [
      ['hats', 'shoes', 'socks'],
      [1, 5, 2],
    ],
  };

  it('derives net revenue, order value, rates and top categories', () => {
    const profile = assembleProfile({
      customerId: 'c1',
      anonymousIds: ['a1'],
      row,
      traits: { email: 'a@b.c' },
      currency: 'USD',
      rules,
      now,
    });
    expect(profile.lifecycle).toBe('repeat');
    expect(profile.stats).toMatchObject({
      pageViews: 6,
      searches: 2,
      revenue: 90.01,
      netRevenue: 80.01,
      averageOrderValue: 30,
      lastOrder: { orderId: 'o-3', value: 40, at: new Date(now - 2 * DAY).toISOString() },
      email: { sent: 4, opened: 2, openRate: 0.5, clickRate: 0.25, delivered: 0 },
      topCategories: [
        { category: 'shoes', items: 5 },
        { category: 'socks', items: 2 },
        { category: 'hats', items: 1 },
      ],
    });
    expect(profile.updatedAt).toBe(new Date(now).toISOString());
    expect(profile).toMatchObject({ rfm: null, cluster: null, clv: null, segments: [] });
  });

  it('has no NaN for a customer without orders or emails', () => {
    const profile = assembleProfile({
      customerId: 'c1',
      anonymousIds: [],
      row: { ...row, orders: 0, revenue: 0, email: {}, categories: [[], []] },
      traits: {},
      currency: 'USD',
      rules,
      now,
    });
    expect(profile.stats).toMatchObject({
      averageOrderValue: null,
      lastOrder: null,
      email: { openRate: null, clickRate: null },
      topCategories: [],
    });
    expect(JSON.stringify(profile)).not.toContain('NaN');
  });
});
