import type { Event } from '@rapport/schemas';
import { eventSchema } from '@rapport/schemas';
import { BASE_TIME, makeEvent } from '@rapport/testkit';
import { describe, expect, it } from 'vitest';
import { createNormalizeEventStep, deriveEventId } from './normalize-event-step.js';

const normalize = createNormalizeEventStep({
  reportingCurrency: 'USD',
  currencyRates: { USD: 1, EUR: 1.1, XAU: 2500 },
});
const event = (raw: Record<string, unknown>): Event => eventSchema.parse(raw);
const receivedAt = BASE_TIME + 5_000;

describe('normalizeEventStep', () => {
  it('corrects client clock skew with sentAt', () => {
    // The client clock is 10 minutes fast: it says it sent at 12:10, the server got it at 12:00:05.
    const result = normalize(
      event(
        makeEvent('click', {
          timestamp: '2024-05-01T12:09:00Z',
          sentAt: '2024-05-01T12:10:00Z',
        }),
      ),
      receivedAt,
    );
    expect(result.ok && result.value.timestamp).toBe(Date.parse('2024-05-01T11:59:05Z'));
    expect(result.ok && result.value.original_timestamp).toBe(Date.parse('2024-05-01T12:09:00Z'));
    expect(result.ok && result.value.sent_at).toBe(Date.parse('2024-05-01T12:10:00Z'));
  });

  it('keeps the timestamp as sent when there is no sentAt, honouring its offset', () => {
    const result = normalize(
      event(makeEvent('click', { timestamp: '2024-05-01T14:00:00+02:00' })),
      receivedAt,
    );
    expect(result.ok && result.value.timestamp).toBe(BASE_TIME);
  });

  it('converts money into the reporting currency', () => {
    const result = normalize(
      event(
        makeEvent('purchase', { properties: { orderId: 'o-9', revenue: 100, currency: 'eur' } }),
      ),
      receivedAt,
    );
    expect(result.ok && result.value).toMatchObject({
      order_id: 'o-9',
      amount: 110,
      amount_original: 100,
      currency: 'EUR',
    });
  });

  it('rejects a currency without a configured rate, naming it', () => {
    const result = normalize(
      event(makeEvent('refund', { properties: { orderId: 'o', amount: 5, currency: 'JPY' } })),
      receivedAt,
    );
    expect(result).toMatchObject({
      ok: false,
      reason: 'no_exchange_rate',
      errors: [{ path: 'properties.currency' }],
    });
    expect(!result.ok && result.errors[0]?.message).toMatch(
      /no exchange rate is configured for JPY/,
    );
  });

  it('takes history back to the floor (1990 by default) and rejects what is older or a day ahead', () => {
    const history = normalize(
      event(makeEvent('purchase', { timestamp: '1990-01-01T00:00:00Z' })),
      receivedAt,
    );
    expect(history.ok && history.value.timestamp).toBe(Date.UTC(1990, 0, 1));
    const old = normalize(
      event(makeEvent('click', { timestamp: '1989-12-31T23:59:59Z' })),
      receivedAt,
    );
    expect(!old.ok && old.errors[0]).toMatchObject({
      path: 'timestamp',
      message: expect.stringMatching(
        /^1989-12-31T23:59:59.000Z is before 1990-01-01, the earliest time taken \(RAPPORT_EARLIEST_EVENT_TIME\)$/,
      ),
    });
    const ahead = normalize(
      event(makeEvent('click', { timestamp: '2024-05-03T12:00:00Z' })),
      receivedAt,
    );
    expect(!ahead.ok && ahead.errors[0]?.message).toBe(
      `2024-05-03T12:00:00.000Z is more than a day ahead of the server clock (${new Date(receivedAt).toISOString()})`,
    );
    expect(old).toMatchObject({ ok: false, reason: 'timestamp_out_of_range' });
    expect(ahead).toMatchObject({ ok: false, reason: 'timestamp_out_of_range' });
  });

  it('names the time a sentAt correction moved out of range, as corrected', () => {
    // Sent by a clock two days slow: the event time as sent is fine, corrected it is ahead.
    const result = normalize(
      event(
        makeEvent('click', {
          timestamp: '2024-05-01T11:00:00Z',
          sentAt: '2024-04-29T12:00:00Z',
        }),
      ),
      receivedAt,
    );
    expect(!result.ok && result.errors[0]?.message).toMatch(
      /^2024-05-03T11:00:05.000Z \(after clock-skew correction by sentAt\) is more than a day ahead of the server clock/,
    );
  });

  it('holds events to a configured floor', () => {
    const since2000 = createNormalizeEventStep({
      reportingCurrency: 'USD',
      currencyRates: { USD: 1 },
      earliestEventTime: Date.UTC(2000, 0, 1),
    });
    const old = since2000(
      event(makeEvent('click', { timestamp: '1999-12-31T23:59:59Z' })),
      receivedAt,
    );
    expect(!old.ok && old.errors[0]?.message).toMatch(/before 2000-01-01/);
    const at = since2000(
      event(makeEvent('click', { timestamp: '2000-01-01T00:00:00Z' })),
      receivedAt,
    );
    expect(at.ok).toBe(true);
  });

  it('keys events by customer, else by anonymous id', () => {
    const known = normalize(event(makeEvent('click', { anonymousId: 'a-1' })), receivedAt);
    const anonymous = normalize(
      event(makeEvent('click', { customerId: undefined, anonymousId: 'a-1' })),
      receivedAt,
    );
    expect(known.ok && known.value.customer_key).toBe('c:cust-1');
    expect(anonymous.ok && anonymous.value.customer_key).toBe('a:a-1');
  });

  it('derives the same eventId from the same content, whatever the sentAt', () => {
    const a = event(makeEvent('click', { sentAt: '2024-05-01T12:00:01Z' }));
    const b = event({ ...makeEvent('click', { sentAt: '2024-05-01T12:07:00Z' }) });
    const c = event(makeEvent('click', { properties: { target: 'other' } }));
    expect(deriveEventId(a)).toBe(deriveEventId(b));
    expect(deriveEventId(a)).not.toBe(deriveEventId(c));
    expect(deriveEventId(a)).toMatch(/^h-[0-9a-f]{40}$/);
    const reordered = event({
      properties: { url: 'https://shop.example/products/42', target: 'add-to-cart' },
      ...makeEvent('click'),
    });
    expect(deriveEventId(reordered)).toBe(deriveEventId(a));
  });

  it('rejects an amount that conversion pushes past the range the store holds', () => {
    const result = normalize(
      event(
        makeEvent('purchase', { properties: { orderId: 'o', revenue: 1e11, currency: 'XAU' } }),
      ),
      receivedAt,
    );
    expect(result).toMatchObject({
      ok: false,
      reason: 'out_of_range',
      errors: [{ path: 'properties.revenue' }],
    });
    expect(!result.ok && result.errors[0]?.message).toBe(
      'is 250000000000000 USD after conversion from XAU (rate 2500); amounts must be less than 100000000000000',
    );
    const refund = normalize(
      event(makeEvent('refund', { properties: { orderId: 'o', amount: 4e10, currency: 'XAU' } })),
      receivedAt,
    );
    expect(refund).toMatchObject({ ok: false, errors: [{ path: 'properties.amount' }] });
  });

  it('rejects a sent time or original time the store cannot hold, even when the skew fits', () => {
    // Corrected, this event happened a second before it was received; as sent, in year 1.
    const result = normalize(
      event(
        makeEvent('click', {
          timestamp: '0001-01-01T00:00:00Z',
          sentAt: '0001-01-01T00:00:01Z',
        }),
      ),
      receivedAt,
    );
    expect(result).toMatchObject({ ok: false, reason: 'out_of_range' });
    expect(!result.ok && result.errors.map((error) => error.path).sort()).toEqual([
      'sentAt',
      'timestamp',
    ]);
    expect(!result.ok && result.errors[0]?.message).toMatch(/before 1900-01-01/);
  });
});
