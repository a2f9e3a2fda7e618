import { createHmac, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { makeEvent } from '@rapport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendAll } from './support/send-events.js';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

// Keys of our own, as a SendGrid account and a Mailgun account would hold them.
const sendgrid = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const SENDGRID_KEY = sendgrid.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
const MAILGUN_KEY = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0';

let engine: TestEngine;

function postSendgrid(body: string, signature?: string) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signed = sign('sha256', Buffer.from(timestamp + body), sendgrid.privateKey);
  return engine.app.inject({
    method: 'POST',
    url: '/v1/webhooks/sendgrid',
    headers: {
      'content-type': 'application/json',
      'x-twilio-email-event-webhook-signature': signature ?? signed.toString('base64'),
      'x-twilio-email-event-webhook-timestamp': timestamp,
    },
    payload: body,
  });
}

function postMailgun(eventData: Record<string, unknown>, key = MAILGUN_KEY) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const token = randomBytes(25).toString('hex');
  const signature = createHmac('sha256', key)
    .update(timestamp + token)
    .digest('hex');
  return engine.app.inject({
    method: 'POST',
    url: '/v1/webhooks/mailgun',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({
      signature: { timestamp, token, signature },
      'event-data': eventData,
    }),
  });
}

async function emailActions(customerId: string) {
  const rows = await engine.store.query<{ action: string; campaign: string; link: string }>(
    `SELECT JSONExtractString(properties, 'action') AS action,
            JSONExtractString(properties, 'campaignId') AS campaign,
            JSONExtractString(properties, 'linkUrl') AS link
     FROM events WHERE type = 'email' AND customer_id = {customerId:String}
     ORDER BY timestamp, action`,
    { customerId },
  );
  return rows;
}

async function counter(name: string, labels: string) {
  const text = (await engine.app.inject({ url: '/metrics' })).body;
  const line = text.split('\n').find((row) => row.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

beforeAll(async () => {
  engine = await startTestEngine({
    RAPPORT_SENDGRID_VERIFICATION_KEY: SENDGRID_KEY,
    RAPPORT_MAILGUN_SIGNING_KEY: MAILGUN_KEY,
  });
  const identify = (customerId: string, email: string) =>
    makeEvent('identify', {
      eventId: `identify-${customerId}`,
      customerId,
      timestamp: '2024-05-01T10:00:00Z',
      properties: { traits: { email } },
    });
  await sendAll(engine, [
    identify('ann', 'Ann@Example.com'),
    identify('twin-1', 'shared@example.com'),
    identify('twin-2', 'shared@example.com'),
  ]);
}, 120_000);

afterAll(async () => {
  await engine?.dispose();
});

describe('POST /v1/webhooks/sendgrid', () => {
  const at = 1_717_243_200; // 2024-06-01T12:00:00Z
  const base = { 'smtp-id': '<14c5d75ce93.dfd.64b469@ismtpd-555>', category: 'june-news' };
  const events = [
    { ...base, email: 'ann@example.com', timestamp: at, event: 'processed', sg_event_id: 'sg-1' },
    {
      ...base,
      email: 'ann@example.com',
      timestamp: at + 1,
      event: 'delivered',
      sg_event_id: 'sg-2',
      sg_message_id: 'msg-1',
    },
    { ...base, email: 'ann@example.com', timestamp: at + 2, event: 'open', sg_event_id: 'sg-3' },
    {
      ...base,
      email: 'ann@example.com',
      timestamp: at + 3,
      event: 'click',
      url: 'https://shop.example/sale',
      sg_event_id: 'sg-4',
    },
    {
      ...base,
      email: 'ann@example.com',
      timestamp: at + 4,
      event: 'spamreport',
      sg_event_id: 'sg-5',
    },
    {
      ...base,
      email: 'ann@example.com',
      timestamp: at + 5,
      event: 'unsubscribe',
      sg_event_id: 'sg-6',
    },
    // A customer id in the custom arguments wins over the address, which no one has.
    {
      email: 'c9@elsewhere.example',
      timestamp: at,
      event: 'bounce',
      type: 'bounce',
      reason: '550 5.1.1 <c9@elsewhere.example>: no such user',
      customer_id: 'cust-9',
      campaign_id: 'spring',
      sg_event_id: 'sg-7',
    },
    {
      email: 'c9@elsewhere.example',
      timestamp: at + 1,
      event: 'dropped',
      reason: 'Bounced Address',
      customer_id: 'cust-9',
      sg_event_id: 'sg-8',
    },
    { email: 'ann@example.com', timestamp: at, event: 'deferred', sg_event_id: 'sg-9' },
    { email: 'nobody@example.com', timestamp: at, event: 'delivered', sg_event_id: 'sg-10' },
    { email: 'shared@example.com', timestamp: at, event: 'delivered', sg_event_id: 'sg-11' },
  ];
  const body = JSON.stringify(events);

  it('records each email action for the customer found by custom argument or email trait', async () => {
    const answer = await postSendgrid(body);
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json()).toMatchObject({ received: 11, accepted: 8, duplicates: 0, rejected: [] });
    expect(answer.json<{ skipped: { index: number; reason: string }[] }>().skipped).toEqual([
      { index: 8, reason: 'event "deferred" is not recorded' },
      { index: 9, reason: expect.stringMatching(/no customer has the recipient as email trait/) },
      { index: 10, reason: expect.stringMatching(/2 customers have the recipient/) },
    ]);
    expect(await emailActions('ann')).toEqual([
      { action: 'sent', campaign: 'june-news', link: '' },
      { action: 'delivered', campaign: 'june-news', link: '' },
      { action: 'opened', campaign: 'june-news', link: '' },
      { action: 'clicked', campaign: 'june-news', link: 'https://shop.example/sale' },
      { action: 'complained', campaign: 'june-news', link: '' },
      { action: 'unsubscribed', campaign: 'june-news', link: '' },
    ]);
    expect(await emailActions('cust-9')).toEqual([
      { action: 'bounced', campaign: 'spring', link: '' },
      { action: 'bounced', campaign: 'unattributed', link: '' },
    ]);
    // Neither the address nor the SMTP reason (which quotes it) is stored.
    const [stored] = await engine.store.query<{ text: string }>(
      `SELECT arrayStringConcat(groupArray(concat(context, properties)), ' ') AS text FROM events WHERE type = 'email'`,
    );
    expect(stored?.text).not.toMatch(/@/);
  });

  it('stores a replayed post once', async () => {
    const again = await postSendgrid(body);
    expect(again.json()).toMatchObject({ accepted: 0, duplicates: 8 });
    expect(await emailActions('ann')).toHaveLength(6);
  });

  it('answers 401 to a bad signature, stores nothing and counts it', async () => {
    const before = await counter(
      'rapport_provider_webhook_requests_total',
      'provider="sendgrid",outcome="invalid_signature"',
    );
    const forged = JSON.stringify([
      { ...events[1], sg_event_id: 'sg-forged', customer_id: 'mallory' },
    ]);
    const other = sign('sha256', Buffer.from('1' + forged), sendgrid.privateKey).toString('base64');
    const answer = await postSendgrid(forged, other);
    expect(answer.statusCode).toBe(401);
    expect(answer.json<{ message: string }>().message).toMatch(/signature does not match/);
    const unsigned = await engine.app.inject({
      method: 'POST',
      url: '/v1/webhooks/sendgrid',
      headers: { 'content-type': 'application/json' },
      payload: forged,
    });
    expect(unsigned.statusCode).toBe(401);
    expect(await emailActions('mallory')).toEqual([]);
    expect(
      await counter(
        'rapport_provider_webhook_requests_total',
        'provider="sendgrid",outcome="invalid_signature"',
      ),
    ).toBe(before + 2);
  });
});

describe('POST /v1/webhooks/mailgun', () => {
  const at = 1_717_243_200.25;
  const event = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
    id,
    event: name,
    timestamp: at,
    recipient: 'ann@example.com',
    'recipient-domain': 'example.com',
    message: { headers: { 'message-id': '20240601120000.1@sample.mailgun.org' } },
    tags: ['june-news'],
    ...extra,
  });

  it('records delivered, opened, clicked, failed, unsubscribed and complained', async () => {
    const posts = [
      event('mg-1', 'delivered', {
        'user-variables': { customer_id: 'mg-cust', campaign_id: 'c-7' },
      }),
      event('mg-2', 'opened', { 'user-variables': { customer_id: 'mg-cust' } }),
      event('mg-3', 'clicked', {
        url: 'https://shop.example/a',
        'user-variables': { customer_id: 'mg-cust' },
      }),
      event('mg-4', 'failed', {
        severity: 'permanent',
        'user-variables': { customer_id: 'mg-cust' },
      }),
      event('mg-5', 'unsubscribed', { 'user-variables': { customer_id: 'mg-cust' } }),
      event('mg-6', 'complained', { 'user-variables': { customer_id: 'mg-cust' } }),
    ];
    for (const post of posts) {
      const answer = await postMailgun(post);
      expect(answer.statusCode, answer.body).toBe(200);
      expect(answer.json()).toMatchObject({ accepted: 1, duplicates: 0 });
    }
    const actions = (await emailActions('mg-cust')).map((row) => row.action).sort();
    expect(actions).toEqual(
      ['bounced', 'clicked', 'complained', 'delivered', 'opened', 'unsubscribed'].sort(),
    );
    expect((await emailActions('mg-cust')).find((row) => row.action === 'delivered')).toEqual({
      action: 'delivered',
      campaign: 'c-7',
      link: '',
    });
  });

  it('finds the customer by email trait, skips temporary failures, stores a replay once', async () => {
    const byTrait = await postMailgun(event('mg-7', 'opened'));
    expect(byTrait.json()).toMatchObject({ accepted: 1 });
    expect((await emailActions('ann')).filter((row) => row.action === 'opened')).toHaveLength(2);
    const temporary = await postMailgun(event('mg-8', 'failed', { severity: 'temporary' }));
    expect(temporary.json()).toMatchObject({
      accepted: 0,
      skipped: [{ index: 0, reason: expect.stringMatching(/temporary failure/) }],
    });
    const replay = await postMailgun(event('mg-7', 'opened'));
    expect(replay.json()).toMatchObject({ accepted: 0, duplicates: 1 });
  });

  it('answers 401 when the signature was made with another key, and counts it', async () => {
    const answer = await postMailgun(
      event('mg-9', 'delivered', { 'user-variables': { customer_id: 'mallory' } }),
      'key-of-someone-else',
    );
    expect(answer.statusCode).toBe(401);
    expect(await emailActions('mallory')).toEqual([]);
    expect(
      await counter(
        'rapport_provider_webhook_requests_total',
        'provider="mailgun",outcome="invalid_signature"',
      ),
    ).toBe(1);
  });
});
