import { scopeParams } from '@rapport/profiles';
import type { EventCondition, EventFilter, SegmentRule } from '@rapport/schemas';
import { openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRule } from './compile-rule.js';
import { EventCounts } from './event-counts.js';
import { profileVerdictsSql } from './matching-profiles-sql.js';
import {
  DAY,
  NOW,
  featuresParams,
  insertEvents,
  matching,
  matchingLive,
  writeFeatures,
} from './test-support.js';

/*
 * - c:ada  page view as anonymous x (40 days ago, newsletter campaign), later linked to ada;
 *          purchases 5 days ago (50 USD, books, price 50) and 20 days ago (120 EUR, garden + books)
 * - c:bob  one purchase 100 days ago on mobile (30, toys)
 * - c:cyd  two page views of /about, no purchase
 * - c:dee  one purchase 30 days ago in store (80, books), an email bounce
 * - a:vic  one page view of /home from an ads campaign, never identified
 * - c:eve  an anonymous page view (y) whose link to eve was undone: it stays with a:y
 */
const RUN = 'features-1';

let test: TestStore;

beforeAll(async () => {
  test = await openTestStore();
  await insertEvents(test.store, [
    {
      type: 'page_view',
      anonymousId: 'x',
      daysAgo: 40,
      context: { campaign: { source: 'newsletter' } },
    },
    { type: 'identify', anonymousId: 'x', customerId: 'ada', daysAgo: 39 },
    {
      type: 'purchase',
      customerId: 'ada',
      daysAgo: 5,
      amount: 50,
      currency: 'USD',
      properties: { items: [{ category: 'books', price: 50 }] },
    },
    {
      type: 'purchase',
      customerId: 'ada',
      daysAgo: 20,
      amount: 120,
      currency: 'EUR',
      properties: {
        items: [
          { category: 'garden', price: 20 },
          { category: 'books', price: 30 },
        ],
      },
    },
    {
      type: 'purchase',
      customerId: 'bob',
      daysAgo: 100,
      amount: 30,
      currency: 'USD',
      channel: 'mobile',
      properties: { items: [{ category: 'toys' }] },
    },
    { type: 'page_view', customerId: 'cyd', daysAgo: 2, properties: { url: '/about' } },
    { type: 'page_view', customerId: 'cyd', daysAgo: 1, properties: { url: '/about' } },
    {
      type: 'purchase',
      customerId: 'dee',
      daysAgo: 30,
      amount: 80,
      currency: 'USD',
      channel: 'store',
      properties: { items: [{ category: 'books' }] },
    },
    {
      type: 'email',
      customerId: 'dee',
      daysAgo: 30,
      channel: 'email',
      properties: { action: 'bounced' },
    },
    {
      type: 'page_view',
      anonymousId: 'vic',
      daysAgo: 3,
      properties: { url: '/home' },
      context: { campaign: { source: 'ads' } },
    },
    { type: 'page_view', anonymousId: 'y', daysAgo: 8 },
    { type: 'identify', anonymousId: 'y', customerId: 'eve', daysAgo: 7 },
    { type: 'identity_unlink', anonymousId: 'y', customerId: 'eve', daysAgo: 6 },
  ]);
  await writeFeatures(test.store, featuresParams(RUN));
});

afterAll(async () => {
  await test.dispose();
});

const event = (
  type: EventCondition['event'],
  more: Omit<EventCondition, 'type' | 'event'> = {},
): SegmentRule => ({ type: 'event', event: type, ...more });
const where = (
  field: string,
  op: EventFilter['op'],
  value?: EventFilter['value'],
): EventFilter => ({
  field,
  op,
  ...(value === undefined ? {} : { value }),
});

async function expectMatches(rule: SegmentRule, keys: string[]) {
  expect(await matching(test.store, rule, RUN), JSON.stringify(rule)).toEqual([...keys].sort());
}

describe('counts', () => {
  it.each([
    [event('purchase'), ['c:ada', 'c:bob', 'c:dee']],
    [event('purchase', { count: { atLeast: 2 } }), ['c:ada']],
    [
      event('purchase', { count: { atLeast: 0 } }),
      ['a:y', 'a:vic', 'c:ada', 'c:bob', 'c:cyd', 'c:dee', 'c:eve'],
    ],
    // profiles with no purchase at all are "at most one"
    [
      event('purchase', { count: { atMost: 1 } }),
      ['a:y', 'a:vic', 'c:bob', 'c:cyd', 'c:dee', 'c:eve'],
    ],
    [event('purchase', { count: { atMost: 0 } }), ['a:y', 'a:vic', 'c:cyd', 'c:eve']],
    [event('purchase', { count: { exactly: 0 } }), ['a:y', 'a:vic', 'c:cyd', 'c:eve']],
    [event('purchase', { count: { exactly: 1 } }), ['c:bob', 'c:dee']],
    [event('purchase', { count: { exactly: 2 } }), ['c:ada']],
  ] as [SegmentRule, string[]][])('%j', async (rule, keys) => {
    await expectMatches(rule, keys);
  });
});

describe('anonymous events', () => {
  it('count for the customer who owns the anonymous id, and not after an unlink', async () => {
    await expectMatches(event('page_view'), ['a:vic', 'a:y', 'c:ada', 'c:cyd']);
    await expectMatches(event('page_view', { count: { exactly: 1 } }), ['a:vic', 'a:y', 'c:ada']);
    await expectMatches(
      event('page_view', { where: [where('context.campaign.source', 'eq', 'newsletter')] }),
      ['c:ada'],
    );
  });
});

describe('filters', () => {
  it.each([
    [[where('properties.items.category', 'eq', 'garden')], ['c:ada']],
    [[where('properties.items.category', 'eq', 'books')], ['c:ada', 'c:dee']],
    [[where('properties.items.category', 'in', ['toys', 'garden'])], ['c:ada', 'c:bob']],
    [[where('properties.items.category', 'startsWith', 'bo')], ['c:ada', 'c:dee']],
    [[where('properties.items.price', 'gt', 40)], ['c:ada']],
    [[where('properties.items.price', 'between', [25, 35])], ['c:ada']],
    [[where('properties.items.price', 'exists')], ['c:ada']],
    [[where('properties.items.price', 'notExists')], ['c:bob', 'c:dee']],
    [[where('amount', 'gte', 100)], ['c:ada']],
    [[where('amount', 'between', [20, 60])], ['c:ada', 'c:bob']],
    [[where('amount', 'in', [30, 80])], ['c:bob', 'c:dee']],
    [[where('amount', 'neq', 50)], ['c:ada', 'c:bob', 'c:dee']],
    [[where('currency', 'eq', 'EUR')], ['c:ada']],
    [[where('currency', 'notIn', ['EUR'])], ['c:ada', 'c:bob', 'c:dee']],
    [[where('channel', 'eq', 'mobile')], ['c:bob']],
    [[where('channel', 'in', ['store', 'mobile'])], ['c:bob', 'c:dee']],
    [[where('channel', 'eq', 'store'), where('amount', 'lt', 50)], []],
  ] as [EventFilter[], string[]][])('purchase where %j', async (filters, keys) => {
    await expectMatches(event('purchase', { where: filters }), keys);
  });

  it('counts only the events that pass the filters', async () => {
    const books = [where('properties.items.category', 'eq', 'books')];
    await expectMatches(event('purchase', { where: books, count: { atLeast: 2 } }), ['c:ada']);
    await expectMatches(event('purchase', { where: books, count: { atMost: 0 } }), [
      'a:vic',
      'a:y',
      'c:bob',
      'c:cyd',
      'c:eve',
    ]);
  });

  it('reads properties and context by dotted path', async () => {
    await expectMatches(
      event('page_view', { where: [where('context.campaign.source', 'eq', 'ads')] }),
      ['a:vic'],
    );
    await expectMatches(event('page_view', { where: [where('context.campaign', 'exists')] }), [
      'a:vic',
      'c:ada',
    ]);
    await expectMatches(
      event('page_view', { where: [where('properties.url', 'startsWith', '/h')] }),
      ['a:vic'],
    );
    // a missing property is neither equal nor unequal
    await expectMatches(event('page_view', { where: [where('properties.url', 'neq', '/home')] }), [
      'c:cyd',
    ]);
    await expectMatches(event('email', { where: [where('properties.action', 'eq', 'bounced')] }), [
      'c:dee',
    ]);
  });
});

describe('time windows', () => {
  it.each([
    [{ lastDays: 10 }, ['c:ada']],
    [{ lastDays: 30 }, ['c:ada', 'c:dee']],
    [
      { from: new Date(NOW - 30 * DAY).toISOString(), to: '2024-06-30T00:00:00Z' },
      ['c:ada', 'c:dee'],
    ],
    [
      { from: '2024-03-01T00:00:00+01:00', to: new Date(NOW - 21 * DAY).toISOString() },
      ['c:bob', 'c:dee'],
    ],
  ] as [EventCondition['within'], string[]][])('purchase within %j', async (within, keys) => {
    await expectMatches(event('purchase', { ...(within ? { within } : {}) }), keys);
  });

  it('counts within the window only', async () => {
    await expectMatches(event('purchase', { within: { lastDays: 10 }, count: { atLeast: 2 } }), []);
    await expectMatches(event('purchase', { within: { lastDays: 50 }, count: { atLeast: 2 } }), [
      'c:ada',
    ]);
    await expectMatches(event('purchase', { within: { lastDays: 25 }, count: { exactly: 0 } }), [
      'a:vic',
      'a:y',
      'c:bob',
      'c:cyd',
      'c:dee',
      'c:eve',
    ]);
  });
});

describe('the live source', () => {
  it('gives the same answer as the stored run', async () => {
    const rules = [
      event('page_view'),
      event('purchase', { count: { atMost: 1 }, within: { lastDays: 30 } }),
      {
        type: 'and',
        rules: [
          event('purchase'),
          { type: 'field', field: 'lifecycle', op: 'eq', value: 'lapsed' },
        ],
      },
    ] as SegmentRule[];
    for (const rule of rules) {
      const live = await matchingLive(test.store, rule, featuresParams('live'));
      expect(live, JSON.stringify(rule)).toEqual(await matching(test.store, rule, RUN));
    }
  });
});

describe('the shared read of streaming evaluation', () => {
  it('gives every rule of one statement the answer of the stored run', async () => {
    const books = [where('properties.items.category', 'eq', 'books')];
    const rules = [
      event('purchase'),
      event('purchase', { count: { atLeast: 2 } }),
      event('purchase', { count: { atLeast: 0 } }),
      event('purchase', { count: { atMost: 1 } }),
      event('purchase', { count: { exactly: 0 } }),
      event('purchase', { count: { exactly: 1 } }),
      event('purchase', { where: books, count: { atMost: 0 } }),
      event('purchase', { within: { lastDays: 25 }, count: { exactly: 0 } }),
      event('page_view', { count: { exactly: 1 } }),
      event('page_view', { where: [where('context.campaign.source', 'eq', 'newsletter')] }),
      event('email', { where: [where('properties.action', 'eq', 'bounced')] }),
      {
        type: 'or',
        rules: [
          { type: 'not', rule: event('page_view') },
          event('purchase', { where: [where('amount', 'gte', 100)] }),
        ],
      },
    ] as SegmentRule[];
    const keys = ['a:vic', 'a:y', 'c:ada', 'c:bob', 'c:cyd', 'c:dee', 'c:eve'];
    const counts = new EventCounts();
    const compiled = rules.map((rule, i) =>
      compileRule(rule, { now: NOW, scoped: true, paramPrefix: `s${i}_`, counts }),
    );
    expect(counts.size).toBe(12);
    const params: Record<string, unknown> = {
      ...featuresParams(''),
      ...(await scopeParams(test.store, keys)),
    };
    for (const rule of compiled) Object.assign(params, rule.params);
    const rows = await test.store.query<Record<string, unknown>>(
      profileVerdictsSql(
        compiled.map((rule) => rule.where),
        counts.sql(),
      ),
      params,
    );
    for (const [i, rule] of rules.entries()) {
      const members = rows
        .filter((row) => Number(row[`v${i}`]) === 1)
        .map((row) => String(row.profile_key))
        .sort();
      expect(members, JSON.stringify(rule)).toEqual(await matching(test.store, rule, RUN));
    }
  });
});
