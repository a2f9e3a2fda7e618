import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

const WRITE_KEY = 'segment-write-key-01';
const READER = 'segment-reader-key-02';

let engine: TestEngine;
let host: string;

beforeAll(async () => {
  engine = await startTestEngine({ RAPPORT_API_KEYS: `${WRITE_KEY}:ingest,${READER}:read` });
  host = await engine.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(() => engine.dispose());

interface Row {
  event_id: string;
  type: string;
  customer_id: string;
  anonymous_id: string;
  order_id: string;
  amount: number;
  properties: string;
}

async function storedFor(customerId: string): Promise<Row[]> {
  return engine.store.query<Row>(
    `SELECT event_id, type, customer_id, anonymous_id, order_id, toFloat64(amount) AS amount,
            properties
     FROM events WHERE customer_id = {id:String} OR anonymous_id = {id:String}
     ORDER BY timestamp, event_id`,
    { id: customerId },
  );
}

const basic = (key: string) => ({
  authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
});

/** An analytics-node client pointed at the engine, unchanged but for its host. */
function client(writeKey = WRITE_KEY) {
  const analytics = new Analytics({
    writeKey,
    host,
    flushAt: 50,
    maxRetries: 0,
    httpRequestTimeout: 60_000,
  });
  const errors: unknown[] = [];
  analytics.on('error', (error) => errors.push(error));
  return { analytics, errors };
}

// Generous: a loaded machine may take seconds to answer, and a timed-out request fails the test.
describe('analytics-node, unchanged, sending to Rapport', { timeout: 90_000 }, () => {
  it('lands every call as the right Rapport type', async () => {
    const { analytics, errors } = client();
    const userId = 'node-sdk-1';
    analytics.identify({
      userId,
      anonymousId: 'node-anon-1',
      traits: { email: 'ada@example.com', plan: 'pro' },
    });
    analytics.page({ userId, name: 'Home', properties: { url: 'https://shop.example/' } });
    analytics.track({ userId, event: 'Products Searched', properties: { query: 'mug' } });
    analytics.track({ userId, event: 'Product Clicked', properties: { product_id: 'p-1' } });
    analytics.track({
      userId,
      event: 'Order Completed',
      properties: {
        order_id: 'node-o-1',
        revenue: 42.5,
        currency: 'USD',
        products: [{ product_id: 'p-1', price: 42.5, quantity: 1 }],
      },
    });
    analytics.track({
      userId,
      event: 'Order Refunded',
      properties: { order_id: 'node-o-1', total: 10 },
    });
    analytics.track({ userId, event: 'Email Opened', properties: { campaign_id: 'spring' } });
    analytics.track({ userId, event: 'Signed Up', properties: { plan: 'pro' } });
    analytics.screen({ userId, name: 'Basket' });
    analytics.group({ userId, groupId: 'acme', traits: { name: 'Acme' } });
    analytics.alias({ userId, previousId: 'node-old-id' });
    await analytics.closeAndFlush();
    expect(errors).toEqual([]);

    const rows = await storedFor(userId);
    expect(rows.map((row) => row.type).sort()).toEqual(
      [
        'click',
        'email',
        'identify',
        'identify',
        'page_view',
        'page_view',
        'purchase',
        'refund',
        'search',
        'track',
        'track',
      ].sort(),
    );
    const purchase = rows.find((row) => row.type === 'purchase');
    expect(purchase).toMatchObject({ order_id: 'node-o-1', amount: 42.5 });
    const identify = rows.find(
      (row) => row.type === 'identify' && row.anonymous_id === 'node-anon-1',
    );
    expect(JSON.parse(identify!.properties)).toMatchObject({
      traits: { email: 'ada@example.com', plan: 'pro' },
    });
    expect(rows.some((row) => row.type === 'identify' && row.anonymous_id === 'node-old-id')).toBe(
      true,
    );
    // Every event's id is the SDK's messageId.
    expect(rows.every((row) => /^node-next-/.test(row.event_id))).toBe(true);
  });

  it('stores a message sent twice with the same messageId once', async () => {
    const userId = 'node-sdk-dedup';
    for (let attempt = 0; attempt < 2; attempt++) {
      const { analytics, errors } = client();
      analytics.track({
        userId,
        messageId: 'node-dedup-1',
        event: 'Order Completed',
        properties: { order_id: 'dedup-o', total: 5 },
      });
      await analytics.closeAndFlush();
      expect(errors).toEqual([]);
    }
    const rows = await storedFor(userId);
    expect(rows.map((row) => [row.event_id, row.type])).toEqual([['node-dedup-1', 'purchase']]);
  });

  it('keeps the valid messages of a batch beside one it rejects', async () => {
    const userId = 'node-sdk-mixed';
    const { analytics } = client();
    const sent: Array<{ status: number; body: unknown }> = [];
    analytics.on('http_response', (response) =>
      sent.push({ status: response.status, body: response.body }),
    );
    analytics.track({ userId, event: 'Order Completed', properties: { total: 5 } });
    analytics.track({ userId, event: 'Signed Up' });
    await analytics.closeAndFlush();
    expect(sent.map((response) => response.status)).toEqual([200]);
    expect((await storedFor(userId)).map((row) => row.type)).toEqual(['track']);
  });

  it('is refused with a write key Rapport does not know, or one without the ingest scope', async () => {
    for (const key of ['not-a-known-key-000', READER]) {
      const { analytics, errors } = client(key);
      analytics.track({ userId: 'node-sdk-refused', event: 'Signed Up' });
      await analytics.closeAndFlush();
      expect(errors).toHaveLength(1);
    }
    expect(await storedFor('node-sdk-refused')).toEqual([]);
  });
});

describe('Segment HTTP API', { timeout: 90_000 }, () => {
  const post = (url: string, payload: unknown, headers = basic(WRITE_KEY)) =>
    engine.app.inject({ method: 'POST', url, headers, payload: payload as object });
  const message = (index: number, extra: Record<string, unknown> = {}) => ({
    type: 'track',
    messageId: `http-${index}`,
    userId: 'http-user',
    event: 'Viewed',
    ...extra,
  });

  it('rejects a message by its index and the Segment field to fix, keeping the others', async () => {
    const response = await post('/v1/batch', {
      batch: [
        message(1),
        message(2, { event: 'Order Completed', properties: { revenue: 3 } }),
        message(3, { type: 'identify', userId: undefined, anonymousId: 'a', traits: {} }),
        message(4, { properties: { blob: 'x'.repeat(33 * 1024) } }),
      ],
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      success: true,
      accepted: 1,
      rejected: [
        { index: 1, eventId: 'http-2', path: 'properties.order_id' },
        { index: 2, eventId: 'http-3', path: 'userId' },
        { index: 3, eventId: 'http-4', message: expect.stringMatching(/limit is 32768 bytes/) },
      ],
    });
  });

  it('answers 400 when nothing could be stored, and for a batch over 500 KB', async () => {
    const none = await post('/v1/track', { userId: 'u', event: 'Order Completed' });
    expect(none.statusCode).toBe(400);
    expect(none.json()).toMatchObject({ success: false, rejected: [{ index: 0 }] });
    const batch = Array.from({ length: 20 }, (_, index) =>
      message(100 + index, { properties: { blob: 'x'.repeat(30 * 1024) } }),
    );
    const large = await post('/v1/batch', { batch });
    expect(large.statusCode).toBe(400);
    expect(large.json().message).toMatch(/larger than Segment's limits/);
    const single = await post(
      '/v1/track',
      message(200, { properties: { blob: 'x'.repeat(40_000) } }),
    );
    expect(single.statusCode).toBe(400);
  });

  it('takes the single-call routes, the long and the one-letter ones', async () => {
    const page = await post('/v1/page', {
      userId: 'http-calls',
      messageId: 'http-page',
      properties: { url: 'https://shop.example/' },
    });
    expect(page.json()).toMatchObject({ accepted: 1 });
    const identify = await post('/v1/i', {
      userId: 'http-calls',
      messageId: 'http-identify',
      traits: { name: 'Ada' },
    });
    expect(identify.json()).toMatchObject({ accepted: 1 });
    expect((await storedFor('http-calls')).map((row) => row.type).sort()).toEqual([
      'identify',
      'page_view',
    ]);
  });

  it('documents the long routes in the OpenAPI document', async () => {
    const docs = await engine.app.inject({
      url: '/docs/json',
      headers: { authorization: `Bearer ${READER}` },
    });
    const document = docs.json<{ paths: Record<string, { post?: { requestBody?: unknown } }> }>();
    const paths = Object.keys(document.paths);
    expect(paths).toEqual(expect.arrayContaining(['/v1/batch', '/v1/track', '/v1/alias']));
    expect(paths).not.toContain('/v1/t');
    expect(JSON.stringify(document.paths['/v1/batch']?.post?.requestBody)).toContain('messageId');
  });

  it('needs an ingest key as the basic-auth user name, and answers browsers preflights', async () => {
    expect((await post('/v1/track', message(300), {} as never)).statusCode).toBe(401);
    expect((await post('/v1/track', message(301), basic('unknown-key-00000'))).statusCode).toBe(
      401,
    );
    expect((await post('/v1/track', message(302), basic(READER))).statusCode).toBe(403);
    const preflight = await engine.app.inject({
      method: 'OPTIONS',
      url: '/v1/t',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'authorization,content-type',
    });
  });
});
