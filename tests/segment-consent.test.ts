import type { SegmentChange } from '@rapport/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, sendAll } from './support/send-events.js';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

// A segment that requires a consent purpose: its members are the customers its rule matches
// whose latest `consent_<purpose>` trait is "granted", in a segments run, in streaming
// evaluation and in explain alike; a customer who withdraws consent leaves it.

let engine: TestEngine;
const heard: SegmentChange[] = [];
let sequence = 0;

const purchase = (customerId: string) => {
  sequence++;
  return {
    type: 'purchase',
    eventId: `consent-order-${sequence}`,
    customerId,
    timestamp: new Date(Date.now() - 60_000 + sequence).toISOString(),
    properties: { orderId: `consent-${sequence}`, revenue: 20, currency: 'USD' },
  };
};

const consent = (customerId: string, marketing: string) => {
  sequence++;
  return {
    type: 'identify',
    eventId: `consent-identify-${sequence}`,
    customerId,
    timestamp: new Date(Date.now() - 60_000 + sequence).toISOString(),
    properties: { traits: { consent_marketing: marketing, consent_analytics: 'granted' } },
  };
};

const BUYERS_WITH_CONSENT = {
  id: 'buyers-marketing',
  name: 'Buyers who accept marketing',
  rule: { type: 'field', field: 'orders', op: 'gte', value: 2 },
  requiresConsent: ['marketing'],
};

const seen = () =>
  heard
    .filter((change) => change.segmentId === BUYERS_WITH_CONSENT.id)
    .map((change) => `${change.change}:${change.customerId}`);

async function members(): Promise<string[]> {
  const rows = await engine.store.query<{ profile_key: string }>(
    `SELECT profile_key FROM segment_membership FINAL
     WHERE segment_id = {id:String} AND exited_at IS NULL ORDER BY profile_key`,
    { id: BUYERS_WITH_CONSENT.id },
  );
  return rows.map((row) => row.profile_key);
}

beforeAll(async () => {
  engine = await startTestEngine();
  engine.changes.subscribe((changes) => {
    heard.push(...changes);
  });
}, 120_000);
afterAll(async () => {
  await engine.dispose();
});

describe('a segment that requires consent', () => {
  it('refuses purposes that are not slugs, or named twice', async () => {
    for (const requiresConsent of [['Marketing!'], ['marketing', 'marketing'], [''], 'marketing']) {
      const answer = await engine.app.inject({
        method: 'POST',
        url: '/v1/segments',
        payload: { ...BUYERS_WITH_CONSENT, id: 'bad-consent', requiresConsent },
      });
      expect(answer.statusCode, JSON.stringify(requiresConsent)).toBe(400);
      expect(answer.body, JSON.stringify(requiresConsent)).toMatch(/requiresConsent/);
    }
    // 197 nodes: room for three conditions under the 200-node limit, not for four.
    const field = { type: 'field', field: 'orders', op: 'gte', value: 1 };
    const big = {
      type: 'and',
      rules: Array.from({ length: 4 }, () => ({
        type: 'or',
        rules: Array.from({ length: 48 }, () => field),
      })),
    };
    const tooMany = await engine.app.inject({
      method: 'POST',
      url: '/v1/segments',
      payload: {
        id: 'big-consent',
        name: 'Big',
        rule: big,
        requiresConsent: ['marketing', 'analytics', 'sms', 'phone'],
      },
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json()).toMatchObject({
      message: expect.stringMatching(/cannot take the consent it requires.*200/),
      issues: [{ path: '/requiresConsent' }],
    });
  });

  it('has in a segments run only the customers who granted it, and sends only them', async () => {
    await sendAll(engine, [
      consent('ann', 'granted'),
      consent('bob', 'denied'),
      purchase('ann'),
      purchase('ann'),
      purchase('bob'),
      purchase('bob'),
      purchase('cal'), // no consent recorded at all
      purchase('cal'),
    ]);
    await engine.segmentsSettled();
    const created = await engine.app.inject({
      method: 'POST',
      url: '/v1/segments',
      payload: BUYERS_WITH_CONSENT,
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ requiresConsent: ['marketing'], realtime: true });

    const run = await runJob(engine, 'segments');
    expect(run).toMatchObject({
      status: 'succeeded',
      summary: { segments: { 'buyers-marketing': { members: 1, entered: 1 } } },
    });
    await expect.poll(seen, { timeout: 30_000 }).toEqual(['entered:ann']);
    expect(await members()).toEqual(['c:ann']);

    // Explain shows the consent condition, evaluated like any trait condition.
    const explained = await engine.app.inject({
      url: '/v1/segments/buyers-marketing/explain/bob',
    });
    expect(explained.json()).toMatchObject({
      matches: false,
      member: false,
      requiresConsent: ['marketing'],
      rule: {
        type: 'and',
        verdict: false,
        rules: [
          { type: 'field', verdict: true },
          {
            type: 'field',
            verdict: false,
            condition: { field: 'traits.consent_marketing', op: 'eq', value: 'granted' },
          },
        ],
      },
    });
    // The preview takes the same requirement.
    const preview = await engine.app.inject({
      method: 'POST',
      url: '/v1/segments/preview',
      payload: { rule: BUYERS_WITH_CONSENT.rule, requiresConsent: ['marketing'] },
    });
    expect(preview.json()).toMatchObject({ count: 1, sample: [{ customerId: 'ann' }] });
  });

  it('lets a customer in by streaming evaluation once they grant it, and not before', async () => {
    await sendAll(engine, [purchase('dan'), purchase('dan')]);
    await engine.segmentsSettled();
    expect(await members()).toEqual(['c:ann']);

    await sendAll(engine, [consent('dan', 'granted')]);
    await expect.poll(seen, { timeout: 30_000 }).toEqual(['entered:ann', 'entered:dan']);
    expect(await members()).toEqual(['c:ann', 'c:dan']);
    const live = await engine.app.inject({ url: '/v1/customers/dan/segments?live=true' });
    expect(live.json()).toMatchObject({ segments: [{ id: 'buyers-marketing', member: true }] });
  });

  it('lets a customer who withdraws consent leave, and the run corrects nothing', async () => {
    await sendAll(engine, [consent('ann', 'denied')]);
    await expect
      .poll(seen, { timeout: 30_000 })
      .toEqual(['entered:ann', 'entered:dan', 'exited:ann']);
    expect(await members()).toEqual(['c:dan']);
    const profile = (await engine.app.inject({ url: '/v1/customers/ann' })).json<{
      traits: Record<string, unknown>;
      segments: unknown[];
    }>();
    expect(profile.traits).toMatchObject({ consent_marketing: 'denied' });
    expect(profile.segments).toEqual([]);

    await engine.segmentsSettled();
    const run = await runJob(engine, 'segments');
    expect(run).toMatchObject({
      status: 'succeeded',
      summary: {
        corrections: { total: 0 },
        segments: { 'buyers-marketing': { members: 1 } },
      },
    });
  });

  it('keeps the requirement through an update that does not name it; [] lifts it', async () => {
    const kept = await engine.app.inject({
      method: 'PUT',
      url: '/v1/segments/buyers-marketing',
      payload: { name: 'Repeat buyers who accept marketing', rule: BUYERS_WITH_CONSENT.rule },
    });
    expect(kept.json()).toMatchObject({ version: 2, requiresConsent: ['marketing'] });
    const lifted = await engine.app.inject({
      method: 'PUT',
      url: '/v1/segments/buyers-marketing',
      payload: { name: 'Repeat buyers', rule: BUYERS_WITH_CONSENT.rule, requiresConsent: [] },
    });
    expect(lifted.json()).toMatchObject({ version: 3, requiresConsent: [] });
    const explained = await engine.app.inject({
      url: '/v1/segments/buyers-marketing/explain/bob',
    });
    expect(explained.json()).toMatchObject({
      matches: true,
      requiresConsent: [],
      rule: { type: 'field' },
    });
  });
});
