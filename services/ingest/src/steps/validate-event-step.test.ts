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
