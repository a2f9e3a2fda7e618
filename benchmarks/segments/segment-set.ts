import type { SegmentRule } from '@rapport/schemas';

/** The last quarter of the generated period (it ends 2024-12-31). */
const LAST_QUARTER = { from: '2024-10-01T00:00:00Z', to: '2024-12-31T23:59:59Z' };

/**
 * Twenty segments a marketing team might keep on a shop's data: profile fields, traits,
 * behaviour with property filters, job results (RFM, CLV) and segments built on segments.
 * Time windows are dates within the generated period, so the answers do not move with the
 * day the benchmark runs.
 */
export const SEGMENT_SET: readonly { id: string; name: string; rule: SegmentRule }[] = [
  {
    id: 'big-spenders',
    name: 'Net revenue of 500 or more',
    rule: { type: 'field', field: 'netRevenue', op: 'gte', value: 500 },
  },
  {
    id: 'repeat-buyers',
    name: 'Two orders or more',
    rule: { type: 'field', field: 'orders', op: 'gte', value: 2 },
  },
  {
    id: 'one-time-buyers',
    name: 'Exactly one order',
    rule: { type: 'field', field: 'orders', op: 'eq', value: 1 },
  },
  {
    id: 'lapsed',
    name: 'Lapsed customers',
    rule: { type: 'field', field: 'lifecycle', op: 'eq', value: 'lapsed' },
  },
  {
    id: 'leads',
    name: 'Signed up, never bought',
    rule: { type: 'field', field: 'lifecycle', op: 'in', value: ['lead'] },
  },
  {
    id: 'engaged-readers',
    name: 'Open a third of their emails',
    rule: {
      type: 'and',
      rules: [
        { type: 'field', field: 'email.sent', op: 'gte', value: 4 },
        { type: 'field', field: 'email.openRate', op: 'gte', value: 0.33 },
      ],
    },
  },
  {
    id: 'clickers-not-buyers',
    name: 'Clicked an email, never bought',
    rule: {
      type: 'and',
      rules: [
        { type: 'field', field: 'email.clicked', op: 'gte', value: 1 },
        { type: 'field', field: 'orders', op: 'eq', value: 0 },
      ],
    },
  },
  {
    id: 'q4-searchers',
    name: 'Searched three times in the last quarter',
    rule: { type: 'event', event: 'search', count: { atLeast: 3 }, within: LAST_QUARTER },
  },
  {
    id: 'book-buyers',
    name: 'Bought a book',
    rule: {
      type: 'event',
      event: 'purchase',
      where: [{ field: 'properties.items.category', op: 'eq', value: 'books' }],
    },
  },
  {
    id: 'big-basket',
    name: 'An order of 200 or more',
    rule: {
      type: 'event',
      event: 'purchase',
      where: [{ field: 'amount', op: 'gte', value: 200 }],
    },
  },
  {
    id: 'explorers',
    name: 'Bought in three categories or more',
    rule: { type: 'field', field: 'categoryBreadth', op: 'gte', value: 3 },
  },
  {
    id: 'mobile',
    name: 'Use the mobile app',
    rule: { type: 'field', field: 'channels', op: 'includes', value: 'mobile' },
  },
  {
    id: 'window-shoppers',
    name: 'Visitors with five visit days or more',
    rule: {
      type: 'and',
      rules: [
        { type: 'field', field: 'identified', op: 'eq', value: false },
        { type: 'field', field: 'visits', op: 'gte', value: 5 },
      ],
    },
  },
  {
    id: 'store-goers',
    name: 'Visited a store twice',
    rule: {
      type: 'event',
      event: 'interaction',
      where: [{ field: 'properties.kind', op: 'eq', value: 'store_visit' }],
      count: { atLeast: 2 },
    },
  },
  {
    id: 'from-google',
    name: 'Came from Google in the last quarter',
    rule: {
      type: 'event',
      event: 'page_view',
      where: [{ field: 'context.campaign.source', op: 'eq', value: 'google' }],
      within: LAST_QUARTER,
    },
  },
  {
    id: 'champions',
    name: 'RFM champions and loyal',
    rule: { type: 'field', field: 'rfm.segment', op: 'in', value: ['Champions', 'Loyal'] },
  },
  {
    id: 'high-clv',
    name: 'Expected CLV of 100 or more',
    rule: { type: 'field', field: 'clv.clv', op: 'gte', value: 100 },
  },
  {
    id: 'quiet-q4',
    name: 'Customers who did not visit in the last quarter',
    rule: {
      type: 'and',
      rules: [
        { type: 'field', field: 'identified', op: 'eq', value: true },
        { type: 'event', event: 'page_view', count: { exactly: 0 }, within: LAST_QUARTER },
      ],
    },
  },
  {
    id: 'mobile-big-spenders',
    name: 'Big spenders on mobile',
    rule: {
      type: 'and',
      rules: [
        { type: 'segment', segmentId: 'big-spenders' },
        { type: 'segment', segmentId: 'mobile' },
      ],
    },
  },
  {
    id: 'win-back',
    name: 'Lapsed repeat buyers still subscribed',
    rule: {
      type: 'and',
      rules: [
        { type: 'segment', segmentId: 'lapsed' },
        { type: 'not', rule: { type: 'segment', segmentId: 'one-time-buyers' } },
        { type: 'field', field: 'email.unsubscribed', op: 'eq', value: 0 },
      ],
    },
  },
];
