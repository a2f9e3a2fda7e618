import type { SegmentChange } from '@rapport/schemas';
import { DEFAULT_TOLERANCE_SECONDS, verifySignature } from '@rapport/webhooks';
import { startReceiver } from '@rapport/webhooks/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, sendAll } from './support/send-events.js';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

const SECRET = 'whsec-test-0123456789abcdef';
let engine: TestEngine;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const heard: SegmentChange[] = [];

const purchase = (customerId: string, n: number, revenue: number, category: string) => ({
  type: 'purchase',
  eventId: `${customerId}-order-${n}`,
  customerId,
  timestamp: new Date(Date.now() - n * 60_000).toISOString(),
  properties: {
    orderId: `${customerId}-${n}`,
    revenue,
    currency: 'USD',
    items: [{ sku: `sku-${n}`, name: 'Item', category, price: revenue, quantity: 1 }],
  },
});

beforeAll(async () => {
  receiver = await startReceiver(() => ({ status: 204 }));
  engine = await startTestEngine({
    RAPPORT_WEBHOOK_URLS: receiver.url,
    RAPPORT_WEBHOOK_SECRET: SECRET,
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

async function post(url: string, payload: unknown, method: 'POST' | 'PUT' = 'POST') {
  return engine.app.inject({ method, url, payload: payload as object });
}

describe('segments end to end', () => {
  it('keeps membership current through the job and tells every outlet of each change', async () => {
    await sendAll(engine, [
      purchase('ada', 1, 120, 'Books'),
      purchase('ada', 2, 80, 'Books'),
      purchase('bob', 1, 30, 'Shoes'),
      {
        type: 'page_view',
        anonymousId: 'visitor-1',
        timestamp: new Date().toISOString(),
        properties: { url: 'https://shop.example/' },
      },
    ]);
    const created = await post('/v1/segments', {
      id: 'book-lovers',
      name: 'Bought books twice',
      rule: {
        type: 'event',
        event: 'purchase',
        where: [{ field: 'properties.items.category', op: 'eq', value: 'Books' }],
        count: { atLeast: 2 },
      },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      id: 'book-lovers',
      version: 1,
      lastEvaluation: null,
      realtime: false,
      batchOnlyReason: expect.stringMatching(/properties\.items\.category over all-time events/),
    });

    const first = await runJob(engine, 'segments');
    expect(first).toMatchObject({ status: 'succeeded', error: null });
    const members = (await engine.app.inject({ url: '/v1/segments/book-lovers/members' })).json<{
      members: { customerId: string | null; since: string | null }[];
      computedAt: string;
    }>();
    expect(members.members.map((member) => member.customerId)).toEqual(['ada']);
    expect(members.members[0]?.since).toBe(members.computedAt);

    const profile = (await engine.app.inject({ url: '/v1/customers/ada' })).json<{
      segments: { id: string; name: string; since: string; version: number }[];
    }>();
    expect(profile.segments).toEqual([
      expect.objectContaining({ id: 'book-lovers', name: 'Bought books twice', version: 1 }),
    ]);

    // bob buys books twice; the rule changes so that ada leaves. The rule filters on item
    // categories over all time: batch-only, so both happen at the next run.
    await sendAll(engine, [purchase('bob', 2, 20, 'Books'), purchase('bob', 3, 25, 'Books')]);
    const updated = await post(
      '/v1/segments/book-lovers',
      {
        name: 'Bought cheap books twice',
        expectedVersion: 1,
        rule: {
          type: 'event',
          event: 'purchase',
          where: [
            { field: 'properties.items.category', op: 'eq', value: 'Books' },
            { field: 'amount', op: 'lt', value: 50 },
          ],
          count: { atLeast: 2 },
        },
      },
      'PUT',
    );
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ version: 2 });
    const second = await runJob(engine, 'segments');
    expect(second.status).toBe('succeeded');

    // Changes reach the outlets from the outbox, just after they are recorded.
    const seen = () =>
      heard.map((change) => `${change.change}:${change.customerId}:v${change.version}`);
    await expect.poll(seen).toEqual(['entered:ada:v1', 'exited:ada:v2', 'entered:bob:v2']);

    // The webhook got the same changes, signed, in the same order.
    await expect.poll(() => receiver.received.flatMap((r) => r.payload.changes).length).toBe(3);
    const delivered = receiver.received.flatMap((request) => request.payload.changes);
    expect(delivered.map((change) => change.id)).toEqual(heard.map((change) => change.id));
    for (const request of receiver.received) {
      const check = (secret: string) =>
        verifySignature({
          secret,
          header: String(request.headers['rapport-signature']),
          body: request.body,
          toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
        });
      expect(check(SECRET)).toBe(true);
      expect(check(`${SECRET}x`)).toBe(false);
    }

    const today = new Date().toISOString().slice(0, 10);
    const history = (
      await engine.app.inject({ url: `/v1/segments/book-lovers/history?from=${today}&to=${today}` })
    ).json<{ days: { day: string; entered: number; exited: number; members: number }[] }>();
    expect(history.days).toEqual([{ day: today, entered: 2, exited: 1, members: 1 }]);
    const adaNow = (await engine.app.inject({ url: '/v1/customers/ada' })).json<{
      segments: unknown[];
    }>();
    expect(adaNow.segments).toEqual([]);
  });

  it('keeps cached profiles a run did not change, with current segment names and times', async () => {
    type Listed = { segments: { id: string; name: string; computedAt: string }[] };
    const read = async () =>
      (await engine.app.inject({ url: '/v1/customers/bob' })).json<Listed>().segments;
    const before = await read();
    expect(before).toEqual([expect.objectContaining({ id: 'book-lovers' })]);

    const renamed = await post(
      '/v1/segments/book-lovers',
      {
        name: 'Cheap book lovers',
        rule: (await engine.app.inject({ url: '/v1/segments/book-lovers' })).json<{
          rule: unknown;
        }>().rule,
      },
      'PUT',
    );
    expect(renamed.statusCode).toBe(200);
    expect((await read())[0]?.name).toBe('Cheap book lovers');

    const hits = engine.cache.hits;
    expect((await runJob(engine, 'segments')).status).toBe('succeeded');
    const after = await read();
    expect(engine.cache.hits).toBe(hits + 1);
    expect(Date.parse(after[0]!.computedAt)).toBeGreaterThan(Date.parse(before[0]!.computedAt));
  });

  it('answers a malformed rule with 400 pointing at the node at fault', async () => {
    const response = await post('/v1/segments', {
      name: 'Broken',
      rule: {
        type: 'and',
        rules: [
          { type: 'field', field: 'orders', op: 'gte', value: 2 },
          { type: 'field', field: 'lifecycle', op: 'gt', value: 'lead' },
        ],
      },
    });
    expect(response.statusCode).toBe(400);
    const body = response.json<{ message: string; issues: { path: string }[] }>();
    expect(body.issues.map((issue) => issue.path)).toContain('/rule/rules/1/op');
    expect(body.message).toMatch(/rules\/1/);
  });

  it('keeps a members cursor working through the next segments run, then answers 410', async () => {
    await sendAll(
      engine,
      ['c1', 'c2', 'c3'].map((customerId, n) => purchase(customerId, 10 + n, 15, 'Cursors')),
    );
    const created = await post('/v1/segments', {
      id: 'cursor-buyers',
      name: 'Cursor buyers',
      rule: {
        type: 'event',
        event: 'purchase',
        where: [{ field: 'properties.items.category', op: 'eq', value: 'Cursors' }],
      },
    });
    expect(created.statusCode).toBe(201);
    expect((await runJob(engine, 'segments')).status).toBe('succeeded');
    const page = (query: string) =>
      engine.app.inject({ url: `/v1/segments/cursor-buyers/members?limit=1${query}` });
    const first = (await page('')).json<{ runId: string; next: string | null }>();
    expect(first.next).not.toBeNull();

    // One newer run: the README promises the cursor still reads the run it started on.
    expect((await runJob(engine, 'segments')).status).toBe('succeeded');
    const second = await page(`&cursor=${first.next}`);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ runId: first.runId, members: [{ customerId: 'c2' }] });

    // Two newer runs: its evaluation is no longer one of the latest two.
    expect((await runJob(engine, 'segments')).status).toBe('succeeded');
    const third = await page(`&cursor=${first.next}`);
    expect(third.statusCode).toBe(410);
  });

  it('shows the cluster of the latest clusters run in profiles and lets rules test it', async () => {
    const run = await runJob(engine, 'clusters', { k: 2 });
    expect(run).toMatchObject({ status: 'succeeded', error: null });
    const profile = (await engine.app.inject({ url: '/v1/customers/ada' })).json<{
      cluster: { runId: string; cluster: number; label: string } | null;
    }>();
    expect(profile.cluster).toMatchObject({ runId: run.runId, cluster: expect.any(Number) });
    // Rules see job results as the latest segments run copied them into its snapshot.
    expect((await runJob(engine, 'segments')).status).toBe('succeeded');
    const preview = await post('/v1/segments/preview', {
      rule: { type: 'field', field: 'cluster', op: 'eq', value: profile.cluster?.cluster },
      sample: 10,
    });
    expect(preview.statusCode).toBe(200);
    expect(preview.json<{ sample: { customerId: string | null }[] }>().sample).toContainEqual({
      customerId: 'ada',
      anonymousId: null,
    });
  });
});
