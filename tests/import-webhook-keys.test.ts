import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

const ADMIN = 'admin-key-7f3a9c21e4';
const INGEST = 'ingest-key-02b8e1f9d6';
const MAILGUN_KEY = 'key-signing-5b1e0c';

let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine({
    RAPPORT_API_KEYS: `${ADMIN}:admin,${INGEST}:ingest`,
    RAPPORT_MAILGUN_SIGNING_KEY: MAILGUN_KEY,
  });
}, 120_000);

afterAll(async () => {
  await engine?.dispose();
});

describe('with API keys configured', () => {
  const line = JSON.stringify({
    eventId: 'keyed-1',
    type: 'page_view',
    customerId: 'k1',
    timestamp: '2001-01-01T00:00:00Z',
    properties: { url: 'https://shop.example/' },
  });
  const post = (key?: string) =>
    engine.app.inject({
      method: 'POST',
      url: '/v1/import',
      headers: {
        'content-type': 'application/x-ndjson',
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      },
      payload: `${line}\n`,
    });

  it('takes an import only with an admin key', async () => {
    expect((await post()).statusCode).toBe(401);
    expect((await post(INGEST)).statusCode).toBe(403);
    const answer = await post(ADMIN);
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json()).toMatchObject({ lines: 1, accepted: 1 });
  });

  it('takes a provider webhook on its signature alone', async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const token = 'b6c1f0a4d2e8b6c1f0a4d2e8b6c1f0a4d2e8b6c1f0a4d2e8bb';
    const signature = createHmac('sha256', MAILGUN_KEY)
      .update(timestamp + token)
      .digest('hex');
    const answer = await engine.app.inject({
      method: 'POST',
      url: '/v1/webhooks/mailgun',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        signature: { timestamp, token, signature },
        'event-data': {
          id: 'keyed-mg-1',
          event: 'delivered',
          timestamp: Date.now() / 1000,
          recipient: 'k1@example.com',
          'user-variables': { customer_id: 'k1' },
        },
      }),
    });
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json()).toMatchObject({ accepted: 1 });
  });
});
