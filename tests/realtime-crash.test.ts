import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SegmentChange } from '@rapport/schemas';
import { startReceiver } from '@rapport/webhooks/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signal, spawnEngine, type SpawnedEngine } from './support/spawn-engine.js';

/*
 * kill -9 of the engine at random points while events stream in: every recorded change still
 * reaches the webhook (at least once, each id always with the same content), and after the
 * last restart membership is what the rules say (the reconciler corrects nothing, and no
 * profile has two open stays in a segment).
 */

const SEGMENTS = {
  'two-orders': { type: 'field', field: 'orders', op: 'gte', value: 2 },
  'big-spender': { type: 'field', field: 'netRevenue', op: 'gt', value: 100 },
};
let dataDir: string;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
/** The engine last started: stopped after the test whatever it found. */
let running: SpawnedEngine | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'rapport-rt-crash-'));
  receiver = await startReceiver(() => ({ status: 204 }));
});
afterAll(async () => {
  if (running && running.child.exitCode === null && running.child.signalCode === null) {
    signal(running, 'SIGKILL', { group: true });
    await running.exited;
  }
  await receiver.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const start = async () => {
  running = await spawnEngine({
    dataDir,
    env: {
      RAPPORT_WEBHOOK_URLS: receiver.url,
      RAPPORT_WEBHOOK_SECRET: 'whsec-test-0123456789abcdef',
      RAPPORT_WEBHOOK_BACKOFF_MS: '10',
      RAPPORT_SCHEDULE_SEGMENTS: 'off',
    },
  });
  return running;
};

async function call(engine: SpawnedEngine, path: string, body?: unknown) {
  const response = await fetch(`${engine.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const purchase = (customerId: string, n: number) => ({
  type: 'purchase',
  eventId: `${customerId}-${n}`,
  customerId,
  timestamp: new Date(Date.now() - 3_600_000 + n * 1000).toISOString(),
  properties: { orderId: `${customerId}-${n}`, revenue: 40 + n, currency: 'USD' },
});

/** Sends purchases of fresh customers until `stop` says so; never waits on a failed request. */
async function load(engine: SpawnedEngine, round: number, stop: () => boolean) {
  for (let i = 0; !stop(); i++) {
    const customers = [0, 1, 2].map((k) => `r${round}-c${i}-${k}`);
    const events = customers.flatMap((id) => [purchase(id, 1), purchase(id, 2), purchase(id, 3)]);
    await fetch(`${engine.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    }).catch(() => undefined);
  }
}

describe('real-time segments across kill -9', () => {
  it('loses no change, never changes one under the same id, and leaves membership consistent', async () => {
    let engine = await start();
    for (const [id, rule] of Object.entries(SEGMENTS)) {
      expect((await call(engine, '/v1/segments', { id, name: id, rule })).status).toBe(201);
    }
    const { body } = await call(engine, '/v1/jobs/segments/runs', {});
    const runId = String(body.runId);
    await expect
      .poll(async () => (await call(engine, `/v1/jobs/runs/${runId}`)).body.status, {
        timeout: 60_000,
      })
      .toBe('succeeded');

    for (let round = 1; round <= 3; round++) {
      let stopped = false;
      const sending = load(engine, round, () => stopped);
      await new Promise((resolve) => setTimeout(resolve, 800 + Math.random() * 1500));
      signal(engine, 'SIGKILL', { group: true });
      await engine.exited;
      stopped = true;
      await sending;
      engine = await start();
    }

    // Settled: nothing new reaches the receiver for a while.
    let count = -1;
    await expect
      .poll(
        () => {
          const now = receiver.received.length;
          const settled = now === count;
          count = now;
          return settled;
        },
        { timeout: 120_000, interval: 3000 },
      )
      .toBe(true);

    const run = await call(engine, '/v1/jobs/segments/runs', {});
    const reconcileId = String(run.body.runId);
    await expect
      .poll(async () => (await call(engine, `/v1/jobs/runs/${reconcileId}`)).body.status, {
        timeout: 60_000,
      })
      .toBe('succeeded');
    const reconciled = (await call(engine, `/v1/jobs/runs/${reconcileId}`)).body as {
      summary: { corrections: { total: number } };
    };
    expect(reconciled.summary.corrections.total).toBe(0);

    // Every delivered id always carries the same change.
    const delivered = receiver.received.flatMap((request) => request.payload.changes);
    const byId = new Map<string, SegmentChange>();
    for (const change of delivered) {
      const seen = byId.get(change.id);
      if (seen) expect(change).toEqual(seen);
      byId.set(change.id, change);
    }
    // Per profile and segment, the changes delivered (first delivery of each id, in order)
    // alternate and end where membership stands.
    const last = new Map<string, string>();
    for (const change of byId.values()) {
      const key = `${change.segmentId}|c:${change.customerId}`;
      expect(last.get(key) ?? 'exited', key).not.toBe(change.change);
      last.set(key, change.change);
    }
    await fetch(`${engine.url}/healthz`);
    signal(engine, 'SIGTERM');
    await engine.exited;
    const { openStore } = await import('@rapport/store');
    const store = await openStore({
      mode: 'embedded',
      dataDir,
      database: 'rapport',
      readConnections: 1,
    });
    try {
      const open = await store.query<{ segment_id: string; profile_key: string; n: number }>(
        `SELECT segment_id, profile_key, count() AS n FROM segment_membership FINAL
         WHERE exited_at IS NULL GROUP BY segment_id, profile_key`,
      );
      expect(open.filter((row) => Number(row.n) > 1)).toEqual([]);
      const members = new Set(open.map((row) => `${row.segment_id}|${row.profile_key}`));
      const entered = [...last].filter(([, change]) => change === 'entered').map(([key]) => key);
      expect(new Set(entered)).toEqual(members);
      expect(members.size).toBeGreaterThan(0);
      const recorded = await store.query<{ change_id: string }>(
        'SELECT DISTINCT change_id FROM segment_outbox_by_writer',
      );
      expect(recorded.filter((row) => !byId.has(row.change_id))).toEqual([]);
    } finally {
      await store.close();
    }
  }, 600_000);
});
