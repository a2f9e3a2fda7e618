import type { SegmentRule } from '@rapport/schemas';
import { generateEvents, Random } from '@rapport/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob, sendAll } from './support/send-events.js';
import { startTestEngine, type TestEngine } from './support/test-engine.js';

/*
 * Streaming evaluation equals a fresh batch evaluation: generated events (several seeds) go
 * in shuffled, in chunks — so late and out-of-order events, identifies that merge visitors,
 * refunds — with unlinks between chunks; at each checkpoint a segments run evaluates every
 * segment afresh: its members must be the open memberships streaming evaluation wrote, and
 * it must correct nothing.
 */

const SEGMENTS: Record<string, SegmentRule> = {
  buyers: { type: 'event', event: 'purchase' },
  repeat: { type: 'field', field: 'orders', op: 'gte', value: 2 },
  'recent-visitors': { type: 'event', event: 'page_view', within: { lastDays: 30 } },
  lapsed: { type: 'field', field: 'lifecycle', op: 'eq', value: 'lapsed' },
  refunded: { type: 'field', field: 'refunds', op: 'gte', value: 1 },
  'net-100': { type: 'field', field: 'netRevenue', op: 'gt', value: 100 },
  'gone-quiet': {
    type: 'and',
    rules: [
      { type: 'segment', segmentId: 'buyers' },
      { type: 'event', event: 'purchase', within: { lastDays: 120 }, count: { exactly: 0 } },
    ],
  },
  visitors: { type: 'field', field: 'identified', op: 'eq', value: false },
  'email-heavy': { type: 'event', event: 'email', within: { lastDays: 90 }, count: { atLeast: 3 } },
  'seen-lately': { type: 'field', field: 'lastSeen', op: 'inLastDays', value: 14 },
  'big-orders': {
    type: 'event',
    event: 'purchase',
    where: [{ field: 'amount', op: 'gt', value: 80 }],
    within: { lastDays: 365 },
  },
  'not-repeat': { type: 'not', rule: { type: 'segment', segmentId: 'repeat' } },
};

let engine: TestEngine;

beforeAll(async () => {
  engine = await startTestEngine();
  for (const [id, rule] of Object.entries(SEGMENTS)) {
    const created = await engine.app.inject({
      method: 'POST',
      url: '/v1/segments',
      payload: { id, name: id, rule },
    });
    expect(created.statusCode).toBe(201);
  }
  // A first run on the empty store: from here on every segment has an evaluation, so any
  // change a run makes is a correction.
  expect((await runJob(engine, 'segments')).status).toBe('succeeded');
});
afterAll(() => engine.dispose());

async function openMembers(): Promise<Record<string, string[]>> {
  const rows = await engine.store.query<{ segment_id: string; profile_key: string }>(
    `SELECT DISTINCT segment_id, profile_key FROM segment_membership FINAL
     WHERE exited_at IS NULL ORDER BY segment_id, profile_key`,
  );
  return group(rows);
}

async function runResults(runId: string): Promise<Record<string, string[]>> {
  const rows = await engine.store.query<{ segment_id: string; profile_key: string }>(
    `SELECT segment_id, profile_key FROM segment_results WHERE run_id = {runId:String}
     ORDER BY segment_id, profile_key`,
    { runId },
  );
  return group(rows);
}

function group(rows: { segment_id: string; profile_key: string }[]) {
  const out: Record<string, string[]> = Object.fromEntries(
    Object.keys(SEGMENTS).map((id) => [id, []]),
  );
  for (const row of rows) (out[row.segment_id] ??= []).push(row.profile_key);
  return out;
}

async function checkpoint(label: string) {
  await engine.segmentsSettled();
  const streamed = await openMembers();
  const run = await runJob(engine, 'segments');
  expect(run.status, label).toBe('succeeded');
  const { summary } = run as typeof run & {
    summary: { corrections: { total: number; segments: object } };
  };
  expect(summary.corrections, label).toEqual({ total: 0, segments: {}, doubledStays: 0 });
  expect(streamed, label).toEqual(await runResults(run.runId));
  return streamed;
}

describe('streaming segment membership equals a fresh batch evaluation', () => {
  it.each([101, 202, 303])(
    'seed %i: shuffled, late and out-of-order events, identifies, unlinks and refunds',
    async (seed) => {
      const random = new Random(seed);
      const events = [
        ...generateEvents({ seed, customers: 60, end: Date.now(), refundRate: 0.3 }),
      ] as (Record<string, unknown> & {
        type: string;
        customerId?: string;
        anonymousId?: string;
      })[];
      // Out of order: a seeded shuffle, so old events arrive after newer ones.
      for (let i = events.length - 1; i > 0; i--) {
        const j = Math.floor(random.next() * (i + 1));
        [events[i], events[j]] = [events[j]!, events[i]!];
      }
      const chunks = 3;
      const size = Math.ceil(events.length / chunks);
      for (let c = 0; c < chunks; c++) {
        // Small batches: each touches a few profiles, as traffic does.
        await sendAll(engine, events.slice(c * size, (c + 1) * size), 50);
        // Events under an anonymous id only, counted for the customer who owns it; and an id
        // taken over by another customer: the profiles on the other side of the link change.
        const owned = await engine.store.query<{ customer_id: string; anonymous_id: string }>(
          `SELECT customer_id, anonymous_id FROM identity_links
           WHERE linked = 1 AND customer_id LIKE {prefix:String}
           ORDER BY anonymous_id LIMIT 2 OFFSET {offset:UInt32}`,
          { prefix: `cust-${seed}-%`, offset: 10 + c * 2 },
        );
        const [first, second] = owned;
        const at = new Date(Date.now() - (c + 1) * 60_000).toISOString();
        await sendAll(engine, [
          ...(first
            ? [
                {
                  type: 'purchase',
                  eventId: `anon-order-${seed}-${c}`,
                  anonymousId: first.anonymous_id,
                  timestamp: at,
                  properties: { orderId: `anon-${seed}-${c}`, revenue: 150, currency: 'USD' },
                },
              ]
            : []),
          ...(second
            ? [
                {
                  type: 'identify',
                  eventId: `takeover-${seed}-${c}`,
                  customerId: `taker-${seed}-${c}`,
                  anonymousId: second.anonymous_id,
                  timestamp: at,
                },
              ]
            : []),
        ]);
        // Unlink a few of the links made so far: both sides are evaluated again.
        const links = await engine.store.query<{ customer_id: string; anonymous_id: string }>(
          `SELECT customer_id, anonymous_id FROM identity_links
           WHERE linked = 1 AND customer_id LIKE {prefix:String}
           ORDER BY customer_id, anonymous_id LIMIT 2 OFFSET {offset:UInt32}`,
          { prefix: `cust-${seed}-%`, offset: c * 2 },
        );
        for (const link of links) {
          const unlinked = await engine.app.inject({
            method: 'DELETE',
            url: `/v1/customers/${link.customer_id}/links/${link.anonymous_id}`,
          });
          expect([200, 404]).toContain(unlinked.statusCode);
        }
        const streamed = await checkpoint(`seed ${seed}, checkpoint ${c + 1}`);
        // The segments are not trivially empty.
        for (const id of ['buyers', 'recent-visitors', 'visitors', 'not-repeat']) {
          expect(streamed[id]?.length, id).toBeGreaterThan(0);
        }
      }
    },
    600_000,
  );
});
