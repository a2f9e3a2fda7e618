import { makeEvent } from '@rapport/testkit';

/** A purchase with these properties in place of the valid ones. */
const purchase = (properties: Record<string, unknown>, overrides: Record<string, unknown> = {}) =>
  makeEvent('purchase', {
    ...overrides,
    properties: { orderId: 'o-bad', revenue: 10, currency: 'USD', ...properties },
  });

// JSON.stringify recurses and cannot write JSON this deep: bodies put it in as text.
const DEEP = '\u0000deep\u0000';
const DEEP_JSON = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;

/** The JSON body of a request with these events. */
export function bodyOf(body: unknown): string {
  return JSON.stringify(body).replaceAll(JSON.stringify(DEEP), DEEP_JSON);
}

/**
 * Every kind of bad number or id a hostile producer tried, with the path at fault. Each would
 * reach the store without the checks ingest makes, and some would fail the insert of everyone
 * else's events in the same batch. (`EUR` needs a rate of 1.1.)
 */
export const BAD_EVENTS: { what: string; event: Record<string, unknown>; path: RegExp }[] = [
  { what: 'revenue 1e15', event: purchase({ revenue: 1e15 }), path: /^properties\.revenue$/ },
  { what: 'revenue 1e308', event: purchase({ revenue: 1e308 }), path: /^properties\.revenue$/ },
  { what: 'revenue 1e14', event: purchase({ revenue: 1e14 }), path: /^properties\.revenue$/ },
  { what: 'revenue -1e-320', event: purchase({ revenue: -1e-320 }), path: /^properties\.revenue$/ },
  { what: 'revenue "NaN"', event: purchase({ revenue: 'NaN' }), path: /^properties\.revenue$/ },
  {
    what: 'revenue "Infinity"',
    event: purchase({ revenue: 'Infinity' }),
    path: /^properties\.revenue$/,
  },
  { what: 'revenue "1e3"', event: purchase({ revenue: '1e3' }), path: /^properties\.revenue$/ },
  { what: 'revenue null', event: purchase({ revenue: null }), path: /^properties\.revenue$/ },
  {
    what: 'revenue pushed past the range by conversion',
    event: purchase({ revenue: 99_000_000_000_000, currency: 'EUR' }),
    path: /^properties\.revenue$/,
  },
  {
    what: 'refund 1e308',
    event: makeEvent('refund', { properties: { orderId: 'o', amount: 1e308, currency: 'USD' } }),
    path: /^properties\.amount$/,
  },
  {
    what: 'item price 1e20',
    event: purchase({ items: [{ sku: 's', price: 1e20 }] }),
    path: /^properties\.items\[0\]\.price$/,
  },
  {
    what: 'item quantity 1e12',
    event: purchase({ items: [{ sku: 's', quantity: 1e12 }] }),
    path: /^properties\.items\[0\]\.quantity$/,
  },
  {
    what: 'item quantity 2^53 + 2',
    event: purchase({ items: [{ sku: 's', quantity: 2 ** 53 + 2 }] }),
    path: /^properties\.items\[0\]\.quantity$/,
  },
  {
    what: 'item quantity 1.5',
    event: purchase({ items: [{ sku: 's', quantity: 1.5 }] }),
    path: /^properties\.items\[0\]\.quantity$/,
  },
  {
    what: 'score 1e300',
    event: makeEvent('interaction', { properties: { kind: 'call', score: 1e300 } }),
    path: /^properties\.score$/,
  },
  {
    what: 'resultsCount 1e10',
    event: makeEvent('search', { properties: { query: 'q', resultsCount: 1e10 } }),
    path: /^properties\.resultsCount$/,
  },
  {
    what: 'a customerId with a lone surrogate',
    event: makeEvent('click', { customerId: 'cust-\ud800' }),
    path: /^customerId$/,
  },
  {
    what: 'an anonymousId with a control character',
    event: makeEvent('click', { anonymousId: 'anon\u0000' }),
    path: /^anonymousId$/,
  },
  {
    what: 'an eventId with a lone surrogate',
    event: makeEvent('click', { eventId: '\udfff' }),
    path: /^eventId$/,
  },
  {
    what: 'an orderId with a newline',
    event: purchase({ orderId: 'o\n1' }),
    path: /^properties\.orderId$/,
  },
  {
    what: 'properties nested 10,000 deep',
    event: makeEvent('track', { properties: { name: 'deep', deep: DEEP } }),
    path: /^properties\.deep(\.a)+$/,
  },
  {
    what: 'a time in year 1, whose skew correction lands today',
    event: makeEvent('click', {
      timestamp: '0001-01-01T00:00:00Z',
      sentAt: '0001-01-01T00:00:01Z',
    }),
    path: /^(timestamp|sentAt)$/,
  },
];
