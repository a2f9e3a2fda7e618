import { describe, expect, it } from 'vitest';
import { BusUnavailableError } from '../port.js';
import { BusMessageTooLargeError, publishError } from './errors.js';
import {
  HEADER,
  deadLetterHeaders,
  decodeHeaders,
  eventHeaders,
  readDeadLetter,
} from './headers.js';
import { backoffDelay } from './options.js';

describe('Kafka message headers', () => {
  it('label events with their id and type', () => {
    expect(eventHeaders({ key: 'c:1', eventId: 'e-1', type: 'purchase', value: '{}' })).toEqual({
      [HEADER.eventId]: 'e-1',
      [HEADER.eventType]: 'purchase',
      [HEADER.contentType]: 'application/json',
    });
  });

  it('read as text, the last of repeated values winning', () => {
    expect(
      decodeHeaders({ a: Buffer.from('x'), b: ['1', Buffer.from('2')], c: undefined }),
    ).toEqual({ a: 'x', b: '2' });
  });

  it('carry a dead letter’s reason and source, and read back to the same letter', () => {
    const letter = {
      reason: 'properties.currency: no exchange rate',
      topic: 'rapport.events.v1',
      partition: 7,
      offset: '12345678901234',
      key: 'c:ada',
      value: Buffer.from('{"event_id":1}'),
      headers: { [HEADER.eventId]: 'e-1' },
    };
    const headers = deadLetterHeaders(letter, new Date('2024-05-01T12:00:00Z'));
    expect(headers).toMatchObject({
      [HEADER.reason]: letter.reason,
      [HEADER.sourcePartition]: '7',
      [HEADER.sourceOffset]: '12345678901234',
      [HEADER.deadLetteredAt]: '2024-05-01T12:00:00.000Z',
    });
    const back = readDeadLetter({
      key: Buffer.from('c:ada'),
      value: letter.value,
      headers: headers,
    });
    expect(back).toEqual(letter);
  });

  it('cut a very long reason short', () => {
    const headers = deadLetterHeaders(
      {
        reason: 'x'.repeat(5000),
        topic: 't',
        partition: 0,
        offset: '0',
        key: null,
        value: Buffer.alloc(0),
        headers: {},
      },
      new Date(),
    );
    expect(String(headers[HEADER.reason]).length).toBe(1001);
  });
});

describe('Kafka publish failures', () => {
  it('are "not now" (503) unless the brokers refuse the size (413)', () => {
    expect(publishError(new Error('Connection error: ECONNREFUSED'), 't')).toBeInstanceOf(
      BusUnavailableError,
    );
    const tooLarge = publishError(
      Object.assign(new Error('The request included a message larger than the max'), {
        type: 'MESSAGE_TOO_LARGE',
      }),
      't',
    );
    expect(tooLarge).toBeInstanceOf(BusMessageTooLargeError);
    expect(tooLarge).toMatchObject({ statusCode: 413 });
  });
});

describe('retry back-off', () => {
  it('doubles from the first delay up to the cap', () => {
    const backoff = { initial: 250, max: 2000 };
    expect([1, 2, 3, 4, 5, 10].map((attempt) => backoffDelay(backoff, attempt))).toEqual([
      250, 500, 1000, 2000, 2000, 2000,
    ]);
  });
});
