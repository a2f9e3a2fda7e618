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
      reason: expect.stringMatching(/amount is out of range/),
    });
  });
});
