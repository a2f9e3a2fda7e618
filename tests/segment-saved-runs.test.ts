import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sendAll } from './support/send-events.js';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

let engine: TestEngine;

const order = (customerId: string, n: number) => ({
  type: 'purchase',
  eventId: `${customerId}-order-${n}`,
  customerId,
  timestamp: new Date(Date.now() - n * 60_000).toISOString(),
  properties: { orderId: `${customerId}-${n}`, revenue: 40, currency: 'USD' },
});

beforeAll(async () => {
  // The segments job scheduled, as by default (hourly): saved segments get runs of their own.
  engine = await startTestEngine({ RAPPORT_SCHEDULE_SEGMENTS: '0 * * * *' });
  await sendAll(engine, [order('ada', 1), order('ada', 2), order('ada', 3), order('bob', 1)]);
});
afterAll(() => engine.dispose());

async function members(id: string) {
  const response = await engine.app.inject({ url: `/v1/segments/${id}/members` });
  if (response.statusCode !== 200) return { status: response.statusCode, ids: [] };
  const page = response.json<{ members: { customerId: string }[] }>();
  return { status: 200, ids: page.members.map((member) => member.customerId).sort() };
}

async function savedRuns() {
  const response = await engine.app.inject({ url: '/v1/jobs/runs?job=segments&limit=50' });
  const { runs } = response.json<{
    runs: { trigger: string; status: string; params: { segments?: string[] } }[];
  }>();
  return runs.filter((run) => run.trigger === 'segment-saved');
}

describe('a saved segment', () => {
  it('has its members within seconds of being created, from a run of its own', async () => {
    const created = await engine.app.inject({
      method: 'POST',
      url: '/v1/segments',
      payload: {
        id: 'repeat',
        name: 'Repeat buyers',
        rule: { type: 'field', field: 'orders', op: 'gte', value: 2 },
      },
    });
    expect(created.statusCode).toBe(201);
    await vi.waitFor(
      async () => expect(await members('repeat')).toEqual({ status: 200, ids: ['ada'] }),
      {
        timeout: 15_000,
        interval: 100,
      },
    );
    await vi.waitFor(
      async () =>
        expect(await savedRuns()).toMatchObject([
          { status: 'succeeded', params: { segments: ['repeat'] } },
        ]),
      { timeout: 15_000, interval: 100 },
    );
  });

  it('follows a change of its rule, and lets its members out when deleted', async () => {
    const changed = await engine.app.inject({
      method: 'PUT',
      url: '/v1/segments/repeat',
      payload: {
        name: 'Buyers',
        rule: { type: 'field', field: 'orders', op: 'gte', value: 1 },
      },
    });
    expect(changed.statusCode).toBe(200);
    await vi.waitFor(
      async () => expect(await members('repeat')).toEqual({ status: 200, ids: ['ada', 'bob'] }),
      { timeout: 15_000, interval: 100 },
    );
    const removed = await engine.app.inject({ method: 'DELETE', url: '/v1/segments/repeat' });
    expect(removed.statusCode).toBe(204);
    await vi.waitFor(
      async () => {
        const runs = await savedRuns();
        expect(runs.map((run) => run.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      },
      { timeout: 15_000, interval: 100 },
    );
    const open = await engine.store.query<{ profile_key: string }>(
      `SELECT profile_key FROM segment_membership FINAL
       WHERE segment_id = 'repeat' AND exited_at IS NULL`,
    );
    expect(open).toEqual([]);
  });
});
