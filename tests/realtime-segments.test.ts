import type { SegmentChange } from '@rapport/schemas';
import { startReceiver } from '@rapport/webhooks/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, sendAll } from './support/send-events.js';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

let engine: TestEngine;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const heard: SegmentChange[] = [];

const purchase = (customerId: string, n: number, revenue: number) => ({
  type: 'purchase',
  eventId: `${customerId}-rt-order-${n}`,
  customerId,
  timestamp: new Date(Date.now() - n * 60_000).toISOString(),
  properties: { orderId: `${customerId}-rt-${n}`, revenue, currency: 'USD' },
});

beforeAll(async () => {
  receiver = await startReceiver(() => ({ status: 204 }));
  engine = await startTestEngine({
    RAPPORT_WEBHOOK_URLS: receiver.url,
    RAPPORT_WEBHOOK_SECRET: 'whsec-test-0123456789abcdef',
    RAPPORT_WEBHOOK_BACKOFF_MS: '10',
  });
  engine.changes.subscribe((changes) => {
    heard.push(...changes);
  });
});
afterAll(async () => {
  await engine.dispose();
  await receiver.close();
});

const seen = () =>
  heard.map((change) => `${change.segmentId}:${change.change}:${change.customerId}`);

describe('real-time segments', () => {
  it('lets a customer in as soon as the event that qualifies them is stored, on every outlet', async () => {
    const created = await engine.app.inject({
      method: 'POST',
      url: '/v1/segments',
      payload: {
        id: 'repeat-buyers',
        name: 'Repeat buyers',
        rule: { type: 'field', field: 'orders', op: 'gte', value: 2 },
      },
    });
    expect(created.statusCode).toBe(201);
    expect((await runJob(engine, 'segments')).status).toBe('succeeded');

    await sendAll(engine, [purchase('eve', 1, 40)]);
    await sendAll(engine, [purchase('eve', 2, 60)]);
    await expect.poll(seen, { timeout: 30_000 }).toEqual(['repeat-buyers:entered:eve']);
    await expect
      .poll(() => receiver.received.flatMap((r) => r.payload.changes).map((c) => c.id), {
        timeout: 30_000,
      })
      .toEqual([heard[0]?.id]);
    const profile = (await engine.app.inject({ url: '/v1/customers/eve' })).json<{
      segments: { id: string }[];
    }>();
    expect(profile.segments.map((segment) => segment.id)).toEqual(['repeat-buyers']);

    const ready = (await engine.app.inject({ url: '/readyz' })).json<{
      checks: Record<string, string>;
    }>();
    expect(ready.checks['segments-stream']).toBe('ok');
  });

  it('leaves the reconciler nothing to correct', async () => {
    await sendAll(engine, [purchase('fay', 1, 10), purchase('fay', 2, 10), purchase('gus', 1, 5)]);
    await expect.poll(seen, { timeout: 30_000 }).toContain('repeat-buyers:entered:fay');
    const run = await runJob(engine, 'segments');
    expect(run).toMatchObject({
      status: 'succeeded',
      summary: { corrections: { total: 0 }, segments: { 'repeat-buyers': { members: 2 } } },
    });
    const metrics = await engine.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/rapport_segment_stream_changes_total\{change="entered"\} 2/);
  });

  it('evaluates every segment for one customer on the spot, and explains a verdict node by node', async () => {
    const live = await engine.app.inject({ url: '/v1/customers/eve/segments?live=true' });
    expect(live.json()).toMatchObject({
      customerId: 'eve',
      live: true,
      segments: [{ id: 'repeat-buyers', name: 'Repeat buyers', version: 1, member: true }],
    });
    const current = await engine.app.inject({ url: '/v1/customers/gus/segments' });
    expect(current.json()).toMatchObject({ live: false, segments: [] });
    // Without live, the membership kept: read, not evaluated.
    expect((await engine.app.inject({ url: '/v1/customers/eve/segments' })).json()).toEqual({
      customerId: 'eve',
      live: false,
      evaluatedAt: expect.any(String),
      segments: [{ id: 'repeat-buyers', name: 'Repeat buyers', version: 1, member: true }],
    });
    expect(
      (await engine.app.inject({ url: '/v1/customers/nobody/segments?live=true' })).statusCode,
    ).toBe(404);

    const created = await engine.app.inject({
      method: 'POST',
      url: '/v1/segments',
      payload: {
        id: 'loyal-gold',
        name: 'Loyal gold',
        rule: {
          type: 'and',
          rules: [
            { type: 'field', field: 'orders', op: 'gte', value: 2 },
            { type: 'event', event: 'purchase', within: { lastDays: 7 }, count: { atLeast: 3 } },
            { type: 'not', rule: { type: 'field', field: 'traits.plan', op: 'eq', value: 'gold' } },
          ],
        },
      },
    });
    expect(created.statusCode).toBe(201);
    const explained = await engine.app.inject({ url: '/v1/segments/loyal-gold/explain/eve' });
    expect(explained.statusCode).toBe(200);
    expect(explained.json()).toMatchObject({
      segmentId: 'loyal-gold',
      version: 1,
      customerId: 'eve',
      matches: false,
      member: false,
      rule: {
        type: 'and',
        verdict: false,
        rules: [
          { type: 'field', verdict: true, value: 2 },
          { type: 'event', verdict: false, value: 2 },
          {
            type: 'not',
            verdict: true,
            rule: { type: 'field', verdict: false, value: null },
          },
        ],
      },
    });
    expect(
      (await engine.app.inject({ url: '/v1/segments/loyal-gold/explain/nobody' })).statusCode,
    ).toBe(404);
    expect((await engine.app.inject({ url: '/v1/segments/nothing/explain/eve' })).statusCode).toBe(
      404,
    );
  });

  it('follows a job run: segments reading its results are evaluated for the profiles it changed', async () => {
    const created = await engine.app.inject({
      method: 'POST',
      url: '/v1/segments',
      payload: {
        id: 'rfm-scored',
        name: 'Scored by RFM',
        rule: { type: 'field', field: 'rfm.r', op: 'gte', value: 1 },
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ realtime: true, batchOnlyReason: null });
    expect((await runJob(engine, 'rfm')).status).toBe('succeeded');
    const segmentsOf = async (id: string) =>
      (await engine.app.inject({ url: `/v1/customers/${id}/segments` }))
        .json<{ segments: { id: string }[] }>()
        .segments.map((segment) => segment.id);
    await expect.poll(() => segmentsOf('eve'), { timeout: 30_000 }).toContain('rfm-scored');
    await expect.poll(() => segmentsOf('gus'), { timeout: 30_000 }).toContain('rfm-scored');
    await expect.poll(seen, { timeout: 30_000 }).toContain('rfm-scored:entered:fay');
  });
});
