import type { Delivered } from '@rapport/bus';
import { describe, expect, it } from 'vitest';
import { storedEvent } from '../testing/stored-events.js';
import { createDecodeEventStep } from './decode-event-step.js';

const decode = createDecodeEventStep();
const wire = (value: string | Buffer): Delivered => ({
  offset: '0',
  key: 'c:ada',
  value: Buffer.from(value),
  headers: {},
});

describe('decodeEventStep', () => {
  it('takes a validated message from this process as it is', () => {
    const published = { key: 'c:a', eventId: 'e', type: 'track' as const, value: 'trusted' };
    expect(decode({ ...wire(''), published })).toEqual({ ok: true, value: published });
  });

  it('parses and validates a stored event from the wire, dropping fields the table lacks', () => {
    const event = { ...storedEvent('e-1', { customerId: 'ada' }), anonymous_id: 'anon-1' };
    const result = decode(wire(JSON.stringify({ ...event, extra: 'not a column' })));
    expect(result).toEqual({
      ok: true,
      value: {
        key: 'c:ada',
        eventId: 'e-1',
        type: 'purchase',
        anonymousId: 'anon-1',
        value: JSON.stringify(event),
      },
    });
  });

  it('says why a message cannot be stored', () => {
    expect(decode(wire(''))).toEqual({ ok: false, reason: 'the message has no value' });
    expect(decode(wire('{"event_id":'))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^the value is not JSON: /),
    });
    expect(decode(wire(JSON.stringify({ ...storedEvent('e'), event_id: '' })))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^the value is not a stored event: event_id: /),
    });
    expect(decode(wire('[]'))).toMatchObject({ ok: false });
    expect(decode(wire(JSON.stringify(storedEvent('e', { amount: -1e15 }))))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/amount: must be greater than -100000000000000/),
    });
  });

  it('dead-letters values the store cannot hold, which would fail the whole insert', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ amount: 1e15 }, /amount: must be less than/],
      [{ amount_original: 1e308 }, /amount_original: must be less than/],
      [{ customer_id: 'ada\ud800' }, /customer_id: has a lone surrogate \(U\+D800\)/],
      [{ event_id: 'e\u0007' }, /event_id: has a control character \(U\+0007\)/],
      [{ order_id: '\udc00' }, /order_id: has a lone surrogate/],
      [{ sent_at: Date.parse('0001-01-01T00:00:00Z') }, /sent_at: is before 1900-01-01/],
      [{ original_timestamp: Date.UTC(9999, 0, 1) }, /original_timestamp: is after 2299-12-31/],
      [{ timestamp: 1.5 }, /timestamp: /],
    ];
    for (const [change, reason] of bad) {
      const value = JSON.stringify({ ...storedEvent('e'), ...change });
      expect(decode(wire(value)), value).toMatchObject({ ok: false, reason });
    }
    const deep = JSON.stringify({
      ...storedEvent('e'),
      properties: JSON.parse(`{"a":${'['.repeat(40)}${']'.repeat(40)}}`) as unknown,
    });
    expect(decode(wire(deep))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/properties: a(\[0\])+ is nested too deep/),
    });
  });
});
