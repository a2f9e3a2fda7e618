import { EVENT_TYPES, defaultChannel, type Event } from '@rapport/schemas';
import { makeEvent } from '@rapport/testkit';
import { describe, expect, it } from 'vitest';
import { createValidateEventStep } from './validate-event-step.js';

const validate = createValidateEventStep();

const invalid: Record<(typeof EVENT_TYPES)[number], [Record<string, unknown>, string]> = {
  page_view: [{ properties: { title: 'no url' } }, 'properties.url'],
  click: [{ properties: { url: 'https://x' } }, 'properties.target'],
  search: [{ properties: { resultsCount: -1, query: 'q' } }, 'properties.resultsCount'],
  email: [{ properties: { action: 'read', campaignId: 'c' } }, 'properties.action'],
  purchase: [{ properties: { orderId: 'o', revenue: -5, currency: 'USD' } }, 'properties.revenue'],
  refund: [{ properties: { orderId: 'o', amount: 5, currency: 'dollars' } }, 'properties.currency'],
  identify: [{ customerId: undefined, anonymousId: 'a-1' }, 'customerId'],
  interaction: [{ properties: { kind: 'fax' } }, 'properties.kind'],
  track: [{ properties: {} }, 'properties.name'],
};

const issuePaths = (raw: unknown) => {
  const result = validate(raw);
  return result.ok ? [] : result.errors.map((error) => error.path);
};

const parse = (raw: unknown): Event => {
  const result = validate(raw);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value;
};

describe('validateEventStep: the event contract v1', () => {
  for (const type of EVENT_TYPES) {
    it(`accepts a valid ${type}`, () => {
      expect(issuePaths(makeEvent(type))).toEqual([]);
    });

    it(`rejects an invalid ${type}, naming the field`, () => {
      const [overrides, path] = invalid[type];
      const raw = Object.fromEntries(
        Object.entries(makeEvent(type, overrides)).filter(([, value]) => value !== undefined),
      );
      expect(issuePaths(raw)).toContain(path);
    });
  }

  it('needs a customerId or an anonymousId', () => {
    expect(issuePaths(makeEvent('page_view', { customerId: undefined }))).toEqual(['customerId']);
    expect(issuePaths(makeEvent('page_view', { customerId: undefined, anonymousId: 'a' }))).toEqual(
      [],
    );
  });

  it('needs a timestamp with a time zone offset', () => {
    expect(issuePaths(makeEvent('click', { timestamp: '2024-05-01T12:00:00' }))).toEqual([
      'timestamp',
    ]);
    expect(issuePaths(makeEvent('click', { timestamp: '2024-05-01T12:00:00+02:00' }))).toEqual([]);
    expect(issuePaths(makeEvent('click', { timestamp: undefined }))).toEqual(['timestamp']);
  });

  it('bounds eventId to 1–64 characters', () => {
    expect(issuePaths(makeEvent('click', { eventId: 'x'.repeat(64) }))).toEqual([]);
    expect(issuePaths(makeEvent('click', { eventId: 'x'.repeat(65) }))).toEqual(['eventId']);
    expect(issuePaths(makeEvent('click', { eventId: '' }))).toEqual(['eventId']);
  });

  it('upper-cases currency codes and keeps extra properties', () => {
    const parsed = parse(
      makeEvent('purchase', {
        properties: { orderId: 'o', revenue: 10, currency: 'eur', coupon: 'SPRING' },
      }),
    );
    expect(parsed.type === 'purchase' && parsed.properties).toMatchObject({
      currency: 'EUR',
      coupon: 'SPRING',
    });
  });

  it('gives each type a default channel', () => {
    const channel = (raw: Record<string, unknown>) => defaultChannel(parse(raw));
    expect(channel(makeEvent('page_view'))).toBe('web');
    expect(channel(makeEvent('email'))).toBe('email');
    expect(channel(makeEvent('interaction', { properties: { kind: 'store_visit' } }))).toBe(
      'store',
    );
    expect(channel(makeEvent('interaction', { properties: { kind: 'ticket_opened' } }))).toBe(
      'support',
    );
  });
});

describe('validateEventStep messages', () => {
  it('says what a missing field is and lists the event types', () => {
    const missing = validate(makeEvent('search', { properties: undefined }));
    expect(missing).toMatchObject({
      ok: false,
      errors: [{ path: 'properties', message: 'is required' }],
    });
    const unknown = validate(makeEvent('page_view', { type: 'pageview' }));
    expect(unknown).toMatchObject({ ok: false, errors: [{ path: 'type' }] });
    expect(!unknown.ok && unknown.errors[0]?.message).toMatch(/must be one of page_view, click/);
  });

  it('rejects what is not an object', () => {
    expect(validate([1, 2])).toMatchObject({ ok: false, errors: [{ path: '' }] });
    expect(validate('event')).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('names nested fields with dots and indexes', () => {
    const result = validate(
      makeEvent('purchase', {
        properties: {
          orderId: 'o',
          revenue: 1,
          currency: 'USD',
          items: [{ sku: 's', quantity: 0 }],
        },
      }),
    );
    expect(result).toMatchObject({ ok: false, errors: [{ path: 'properties.items[0].quantity' }] });
  });
});

describe('validateEventStep: numbers within the range of their column', () => {
  const purchase = (properties: Record<string, unknown>) =>
    makeEvent('purchase', {
      properties: { orderId: 'o', revenue: 10, currency: 'USD', ...properties },
    });
  const cases: [string, Record<string, unknown>, string][] = [
    ['revenue 1e15', purchase({ revenue: 1e15 }), 'properties.revenue'],
    ['revenue 1e308', purchase({ revenue: 1e308 }), 'properties.revenue'],
    [
      'revenue just past the Decimal(18, 4) range',
      purchase({ revenue: 1e14 }),
      'properties.revenue',
    ],
    ['revenue -1e-320', purchase({ revenue: -1e-320 }), 'properties.revenue'],
    ['revenue "NaN"', purchase({ revenue: 'NaN' }), 'properties.revenue'],
    ['revenue "1e3"', purchase({ revenue: '1e3' }), 'properties.revenue'],
    [
      'item price 1e20',
      purchase({ items: [{ sku: 's', price: 1e20 }] }),
      'properties.items[0].price',
    ],
    [
      'item quantity 1e12',
      purchase({ items: [{ sku: 's', quantity: 1e12 }] }),
      'properties.items[0].quantity',
    ],
    [
      'item quantity 2^53',
      purchase({ items: [{ sku: 's', quantity: 2 ** 53 }] }),
      'properties.items[0].quantity',
    ],
    [
      'refund 1e308',
      makeEvent('refund', { properties: { orderId: 'o', amount: 1e308, currency: 'USD' } }),
      'properties.amount',
    ],
    [
      'score 1e300',
      makeEvent('interaction', { properties: { kind: 'call', score: 1e300 } }),
      'properties.score',
    ],
    [
      'score -1e15',
      makeEvent('interaction', { properties: { kind: 'call', score: -1e15 } }),
      'properties.score',
    ],
    [
      'resultsCount 1e10',
      makeEvent('search', { properties: { query: 'q', resultsCount: 1e10 } }),
      'properties.resultsCount',
    ],
  ];
  for (const [what, raw, path] of cases) {
    it(`rejects ${what} at ${path}`, () => {
      expect(new Set(issuePaths(raw))).toEqual(new Set([path]));
    });
  }

  it('keeps the largest values the columns hold', () => {
    expect(issuePaths(purchase({ revenue: 99_999_999_999_999.98 }))).toEqual([]);
    expect(issuePaths(purchase({ revenue: 1e-320 }))).toEqual([]);
    expect(
      issuePaths(purchase({ items: [{ sku: 's', price: 0, quantity: 4_294_967_295 }] })),
    ).toEqual([]);
    expect(
      issuePaths(makeEvent('interaction', { properties: { kind: 'call', score: -99.5 } })),
    ).toEqual([]);
  });

  it('says what the range is', () => {
    const result = validate(purchase({ revenue: 1e15 }));
    expect(!result.ok && result.errors[0]?.message).toBe(
      'must be less than 100000000000000 (the range amounts are stored in)',
    );
  });
});

describe('validateEventStep: ids that can be addressed later', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    [
      'a lone high surrogate in customerId',
      { customerId: 'ada\ud800' },
      'customerId',
      /lone surrogate \(U\+D800\) at position 3/,
    ],
    [
      'a lone low surrogate in anonymousId',
      { anonymousId: '\udc00x' },
      'anonymousId',
      /lone surrogate \(U\+DC00\) at position 0/,
    ],
    ['a NUL in eventId', { eventId: 'e\u0000' }, 'eventId', /control character \(U\+0000\)/],
    [
      'a newline in customerId',
      { customerId: 'a\nb' },
      'customerId',
      /control character \(U\+000A\)/,
    ],
    [
      'a C1 control in customerId',
      { customerId: 'a\u0085' },
      'customerId',
      /control character \(U\+0085\)/,
    ],
  ];
  for (const [what, overrides, path, message] of cases) {
    it(`rejects ${what}, saying why`, () => {
      const result = validate(makeEvent('click', overrides));
      expect(result).toMatchObject({ ok: false, errors: [{ path }] });
      expect(!result.ok && result.errors[0]?.message).toMatch(message);
    });
  }

  it('rejects a bad orderId and sku', () => {
    const raw = makeEvent('purchase', {
      properties: { orderId: 'o\ud800', revenue: 1, currency: 'USD', items: [{ sku: '\u001b' }] },
    });
    expect(issuePaths(raw).sort()).toEqual(['properties.items[0].sku', 'properties.orderId']);
  });

  it('takes ids in any script, emoji included', () => {
    expect(
      issuePaths(makeEvent('click', { customerId: 'Zoë-😀-山田', eventId: 'é\u{1F600}' })),
    ).toEqual([]);
  });

  it('keeps Segment-style top-level traits of an identify, in properties.traits', () => {
    const event = parse({
      type: 'identify',
      customerId: 'ada',
      timestamp: '2024-05-01T12:00:00Z',
      traits: { email: 'ada@example.com', plan: 'pro', name: 'Ada' },
      properties: { traits: { name: 'Ada Lovelace' } },
    });
    expect(event).not.toHaveProperty('traits');
    expect(event.properties).toEqual({
      traits: { email: 'ada@example.com', plan: 'pro', name: 'Ada Lovelace' },
    });
  });

  it('checks top-level traits as it checks properties.traits', () => {
    expect(
      issuePaths({
        type: 'identify',
        customerId: 'ada',
        timestamp: '2024-05-01T12:00:00Z',
        traits: { email: 'not an email' },
      }),
    ).toEqual(['traits.email']);
  });
});
