import { gzipSync } from 'node:zlib';
import { EVENT_TYPES, type TimelineResponse } from '@rapport/schemas';
import { makeEvent, makeEvents } from '@rapport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countStored, startTestEngine, type TestEngine } from './support/test-engine.js';

let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine({ RAPPORT_CURRENCY_RATES: 'EUR=1.1' });
});
afterAll(() => engine.dispose());

const MiB = 1024 * 1024;

type TimelinePage = TimelineResponse;
const ids = (page: TimelinePage) => page.events.map((event) => event.eventId);

function post(payload: string | Buffer, headers: Record<string, string> = {}) {
  return engine.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/json', ...headers },
    payload,
  });
}

/** A JSON body of exactly `bytes` bytes (JSON allows trailing white space). */
function bodyOfSize(events: unknown[], bytes: number): string {
  const json = JSON.stringify({ events });
  if (json.length > bytes) throw new Error(`body is already ${json.length} bytes`);
  return json + ' '.repeat(bytes - json.length);
}

/** An event whose JSON is exactly `bytes` bytes long. */
function eventOfSize(eventId: string, bytes: number) {
  const event = makeEvent('track', { eventId, properties: { name: 'padded', pad: '' } });
  const padding = bytes - JSON.stringify(event).length;
  return makeEvent('track', { eventId, properties: { name: 'padded', pad: 'x'.repeat(padding) } });
}

describe('POST /v1/events', () => {
  it('stores one event sent on its own', async () => {
    const response = await post(JSON.stringify(makeEvent('page_view', { eventId: 'single-1' })));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(await countStored(engine, ['single-1'])).toBe(1);
  });

  it('stores every type of the contract', async () => {
    const events = EVENT_TYPES.map((type) => makeEvent(type, { eventId: `type-${type}` }));
    const response = await post(JSON.stringify({ events }));
    expect(response.json()).toEqual({ accepted: 9, duplicates: 0, rejected: [] });
  });

  it('keeps the valid events beside a bad one and reports the bad one precisely', async () => {
    const events = [
      makeEvent('click', { eventId: 'mixed-ok-1' }),
      makeEvent('purchase', {
        eventId: 'mixed-bad',
        properties: { orderId: 'o', revenue: -1, currency: 'USD' },
      }),
      makeEvent('purchase', {
        eventId: 'mixed-no-rate',
        properties: { orderId: 'o', revenue: 1, currency: 'GBP' },
      }),
      { type: 'click' },
      makeEvent('purchase', {
        eventId: 'mixed-ok-eur',
        properties: { orderId: 'o-eur', revenue: 10, currency: 'EUR' },
      }),
    ];
    const response = await post(JSON.stringify({ events }));
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.accepted).toBe(2);
    expect(body.rejected).toEqual([
      expect.objectContaining({ index: 1, eventId: 'mixed-bad', path: 'properties.revenue' }),
      expect.objectContaining({
        index: 2,
        eventId: 'mixed-no-rate',
        path: 'properties.currency',
        message: expect.stringMatching(/no exchange rate is configured for GBP/),
      }),
      expect.objectContaining({ index: 3, path: expect.any(String), message: expect.any(String) }),
    ]);
    expect(body.rejected[2]).not.toHaveProperty('eventId');
    expect(
      await countStored(engine, ['mixed-ok-1', 'mixed-ok-eur', 'mixed-bad', 'mixed-no-rate']),
    ).toBe(2);
    const [eur] = await engine.store.query<{ amount: number; currency: string }>(
      "SELECT amount, currency FROM events WHERE event_id = 'mixed-ok-eur'",
    );
    expect(eur).toEqual({ amount: 11, currency: 'EUR' });
  });

  it('answers 400 with the same report when every event is rejected', async () => {
    const response = await post(JSON.stringify({ events: [{ type: 'click', eventId: 'nope' }] }));
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      accepted: 0,
      rejected: [{ index: 0, eventId: 'nope' }],
    });
  });

  it('answers 400 to a body that is not JSON or not the right shape', async () => {
    for (const payload of [
      '{"events": [',
      '[1, 2]',
      '"text"',
      '{"events": "many"}',
      '{"events": []}',
    ]) {
      const response = await post(payload);
      expect(response.statusCode, payload).toBe(400);
      expect(response.json()).toMatchObject({ statusCode: 400, message: expect.any(String) });
    }
  });

  it('answers 415 to a content type it does not read, and reads JSON sent as text/plain', async () => {
    const xml = await post('<event/>', { 'content-type': 'application/xml' });
    expect(xml.statusCode).toBe(415);
    const beacon = await post(JSON.stringify(makeEvent('click', { eventId: 'beacon-1' })), {
      'content-type': 'text/plain;charset=UTF-8',
    });
    expect(beacon.statusCode).toBe(200);
    const encoding = await post('{}', { 'content-encoding': 'compress' });
    expect(encoding.statusCode).toBe(415);
  });

  it('takes 1,000 events in a request and refuses 1,001 with 413', async () => {
    const full = await post(JSON.stringify({ events: makeEvents(1000, { prefix: 'limit-n' }) }));
    expect(full.statusCode).toBe(200);
    expect(full.json().accepted).toBe(1000);
    const over = await post(JSON.stringify({ events: makeEvents(1001, { prefix: 'limit-n1' }) }));
    expect(over.statusCode).toBe(413);
    expect(over.json().message).toMatch(/1001 events .* limit is 1000/);
    expect(await countStored(engine, ['limit-n1-0'])).toBe(0);
  });

  it('takes a body of exactly 1 MiB and refuses one byte more with 413', async () => {
    const events = makeEvents(20, { prefix: 'limit-body' });
    expect((await post(bodyOfSize(events, MiB))).statusCode).toBe(200);
    const over = await post(bodyOfSize(makeEvents(20, { prefix: 'limit-body-over' }), MiB + 1));
    expect(over.statusCode).toBe(413);
    expect(await countStored(engine, ['limit-body-over-0'])).toBe(0);
  });

  it('applies the body limit after gzip decompression', async () => {
    const small = gzipSync(JSON.stringify({ events: makeEvents(5, { prefix: 'gzip-ok' }) }));
    expect((await post(small, { 'content-encoding': 'gzip' })).json()).toMatchObject({
      accepted: 5,
    });
    const bomb = gzipSync(bodyOfSize(makeEvents(5, { prefix: 'gzip-bomb' }), 2 * MiB));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const response = await post(bomb, { 'content-encoding': 'gzip' });
    expect(response.statusCode).toBe(413);
    expect(await countStored(engine, ['gzip-bomb-0'])).toBe(0);
    const corrupt = await post(Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
    expect(corrupt.statusCode).toBe(400);
  });

  it('takes an event of exactly 32 KiB and rejects one byte more, keeping its neighbours', async () => {
    const events = [eventOfSize('size-ok', 32 * 1024), eventOfSize('size-over', 32 * 1024 + 1)];
    expect(JSON.stringify(events[0])).toHaveLength(32 * 1024);
    const response = await post(JSON.stringify({ events }));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      accepted: 1,
      rejected: [
        {
          index: 1,
          eventId: 'size-over',
          message: expect.stringMatching(/32769 bytes; the limit is 32768/),
        },
      ],
    });
  });
});

describe('GET /v1/customers/:id/events', () => {
  it("returns a customer's events newest first, with events sent under linked anonymous ids", async () => {
    const at = (minute: number) => new Date(Date.UTC(2024, 5, 1, 10, minute)).toISOString();
    const events = [
      makeEvent('page_view', {
        eventId: 'tl-1',
        customerId: undefined,
        anonymousId: 'anon-tl',
        timestamp: at(1),
      }),
      makeEvent('search', {
        eventId: 'tl-2',
        customerId: undefined,
        anonymousId: 'anon-tl',
        timestamp: at(2),
      }),
      makeEvent('identify', {
        eventId: 'tl-3',
        customerId: 'cust-tl',
        anonymousId: 'anon-tl',
        timestamp: at(3),
      }),
      makeEvent('purchase', { eventId: 'tl-4', customerId: 'cust-tl', timestamp: at(4) }),
      makeEvent('click', {
        eventId: 'tl-x',
        customerId: undefined,
        anonymousId: 'anon-other',
        timestamp: at(5),
      }),
    ];
    expect((await post(JSON.stringify({ events }))).json()).toMatchObject({ accepted: 5 });

    const first = await engine.app.inject({ url: '/v1/customers/cust-tl/events?limit=3' });
    expect(first.statusCode).toBe(200);
    const page1 = first.json<TimelinePage>();
    expect(page1.linkedAnonymousIds).toEqual(['anon-tl']);
    expect(ids(page1)).toEqual(['tl-4', 'tl-3', 'tl-2']);
    expect(page1.events[0]).toMatchObject({
      type: 'purchase',
      customerId: 'cust-tl',
      timestamp: at(4),
      channel: 'web',
      properties: { orderId: 'o-1' },
    });

    const second = await engine.app.inject({
      url: `/v1/customers/cust-tl/events?limit=3&before=${page1.next}`,
    });
    expect(ids(second.json<TimelinePage>())).toEqual(['tl-1']);
    expect(second.json<TimelinePage>().next).toBeNull();

    const byTime = await engine.app.inject({
      url: `/v1/customers/cust-tl/events?before=${encodeURIComponent(at(3))}`,
    });
    expect(ids(byTime.json<TimelinePage>())).toEqual(['tl-2', 'tl-1']);
  });

  it('validates its query parameters', async () => {
    const bad = await engine.app.inject({ url: '/v1/customers/c/events?limit=0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/limit/);
    const cursor = await engine.app.inject({ url: '/v1/customers/c/events?before=garbage' });
    expect(cursor.statusCode).toBe(400);
    const unknown = await engine.app.inject({ url: '/v1/customers/nobody/events' });
    expect(unknown.json()).toMatchObject({ events: [], next: null });
  });
});

describe('operations', () => {
  it('reports health, readiness, metrics and the OpenAPI document', async () => {
    expect((await engine.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await engine.app.inject({ url: '/readyz' })).json()).toEqual({
      status: 'ready',
      // Streaming segment evaluation is shown but never takes the engine out of service.
      checks: { store: 'ok', migrations: 'ok', bus: 'ok', 'segments-stream': 'ok' },
    });
    const metrics = await engine.app.inject({ url: '/metrics' });
    expect(metrics.headers['content-type']).toMatch(/text\/plain/);
    expect(metrics.body).toMatch(/rapport_events_accepted_total\{type="page_view"\} \d+/);
    expect(metrics.body).toMatch(/rapport_events_rejected_total\{reason="invalid"\} \d+/);
    expect(metrics.body).toContain('rapport_store_batch_rows_bucket');
    expect(metrics.body).toContain('rapport_store_insert_duration_seconds_bucket');
    const docs = await engine.app.inject({ url: '/docs/json' });
    expect(Object.keys(docs.json<{ paths: object }>().paths)).toEqual(
      expect.arrayContaining(['/v1/events', '/v1/customers/{id}/events', '/healthz', '/readyz']),
    );
    expect((await engine.app.inject({ url: '/docs' })).statusCode).toBeLessThan(400);
  });

  it('echoes or creates a request id', async () => {
    const given = await engine.app.inject({
      url: '/healthz',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await engine.app.inject({ url: '/nowhere' });
    expect(made.statusCode).toBe(404);
    expect(made.json().requestId).toBe(made.headers['x-request-id']);
  });
});
