import { SCOPE } from '@rapport/profiles';
import type { SegmentChange, SegmentRule } from '@rapport/schemas';
import { cancellable, StoreError, type Store } from '@rapport/store';
import { insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDefinition } from '../store/definitions.js';
import {
  featuresParams,
  matchingLive,
  NOW,
  openMembers,
  storedEvent,
  type EventInput,
} from '../test-support.js';
import {
  StreamingSegments,
  type StreamingMetrics,
  type StreamingSegmentsOptions,
} from './streaming-segments.js';

const logger = pino({ level: 'silent' });
let test: TestStore;
let store: Store;
const recorded: SegmentChange[] = [];

const RULES: Record<string, SegmentRule> = {
  buyers: { type: 'event', event: 'purchase' },
  repeat: { type: 'field', field: 'orders', op: 'gte', value: 2 },
  gold: { type: 'field', field: 'traits.plan', op: 'eq', value: 'gold' },
  'gold-buyers': {
    type: 'and',
    rules: [
      { type: 'segment', segmentId: 'gold' },
      { type: 'segment', segmentId: 'buyers' },
    ],
  },
  'recent-viewers': {
    type: 'event',
    event: 'page_view',
    within: { lastDays: 7 },
  },
  'never-bought': {
    type: 'not',
    rule: { type: 'event', event: 'purchase' },
  },
  'big-spender': { type: 'field', field: 'netRevenue', op: 'gt', value: 100 },
  lapsed: { type: 'field', field: 'lifecycle', op: 'eq', value: 'lapsed' },
};

/** Stores events and says which customer keys they were stored under, as the pipeline does. */
async function store_(events: EventInput[]): Promise<Set<string>> {
  const rows = events.map(storedEvent);
  await insertRows(store, 'events', rows);
  const keys = new Set<string>();
  for (const row of rows) {
    keys.add(String(row.customer_key));
    if (row.anonymous_id !== '') keys.add(`a:${String(row.anonymous_id)}`);
  }
  return keys;
}

const members = (segmentId: string) => openMembers(store, segmentId);

/** Every segment's streaming members equal the rule over every profile, computed afresh. */
async function expectEqualToFullEvaluation() {
  const fresh = (rule: SegmentRule) => matchingLive(store, rule, featuresParams(''));
  for (const [id, rule] of Object.entries(RULES)) {
    const buyers = new Set(await fresh(RULES.buyers!));
    // gold-buyers refers to two segments: both evaluated afresh.
    const full =
      id === 'gold-buyers'
        ? (await fresh(RULES.gold!)).filter((key) => buyers.has(key))
        : await fresh(rule);
    expect({ id, members: await members(id) }).toEqual({ id, members: full });
  }
}

/** An evaluator of `target` that records changes in `recorded`, with the options a test sets. */
function streaming(target: Store, options: Partial<StreamingSegmentsOptions> = {}) {
  return new StreamingSegments({
    store: target,
    lapsedAfterDays: 90,
    record: async (changes) => {
      recorded.push(...changes);
    },
    logger,
    clock: () => NOW,
    retryMs: { min: 10, max: 50 },
    ...options,
  });
}

/** The store, its queries whose parameters `kept` picks written down (their SQL). */
function watchedQueries(kept: (params: Record<string, unknown> | undefined) => boolean) {
  const statements: string[] = [];
  const watching = new Proxy(store, {
    get(target, name, receiver) {
      if (name === 'query') {
        return (sql: string, params?: Record<string, unknown>) => {
          if (kept(params)) statements.push(sql);
          return target.query(sql, params);
        };
      }
      const value: unknown = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  return { watching, statements };
}

/** Metrics that keep nothing but those given. */
const metricsWith = (given: Partial<StreamingMetrics>): StreamingMetrics => ({
  segmentStreamEvaluations: { inc: () => undefined },
  segmentStreamSegmentFailures: { inc: () => undefined },
  segmentStreamChanges: { inc: () => undefined },
  segmentStreamPending: { set: () => undefined },
  segmentStreamSeconds: { observe: () => undefined },
  ...given,
});

beforeAll(async () => {
  test = await openTestStore();
  store = test.store;
  for (const [id, rule] of Object.entries(RULES)) {
    await insertDefinition(store, {
      id,
      version: 1,
      name: `Segment ${id}`,
      description: '',
      rule: JSON.stringify(rule),
      deleted: false,
      createdAt: NOW - 1000,
      updatedAt: NOW - 1000,
    });
  }
});
afterAll(() => test.dispose());

describe('streaming segment evaluation', () => {
  it('enters the profiles a batch touched, with the batch rule, segments after those they refer to', async () => {
    const evaluator = streaming(store);
    evaluator.touched(
      await store_([
        {
          type: 'identify',
          customerId: 'ada',
          daysAgo: 30,
          properties: { traits: { plan: 'gold' } },
        },
        { type: 'purchase', customerId: 'ada', daysAgo: 20, amount: 120 },
        { type: 'page_view', customerId: 'bob', daysAgo: 2 },
        { type: 'purchase', customerId: 'old', daysAgo: 200, amount: 10 },
        { type: 'page_view', anonymousId: 'v1', daysAgo: 1 },
      ]),
    );
    await evaluator.idle();
    expect(await members('gold-buyers')).toEqual(['c:ada']);
    expect(await members('lapsed')).toEqual(['c:old']);
    expect(await members('recent-viewers')).toEqual(['a:v1', 'c:bob']);
    const first = recorded.find((c) => c.segmentId === 'gold-buyers');
    expect(first).toMatchObject({
      segmentName: 'Segment gold-buyers',
      version: 1,
      change: 'entered',
      customerId: 'ada',
      anonymousId: null,
    });
    expect(first?.id).toBe(`${first?.runId}:gold-buyers:c:ada`);
    await expectEqualToFullEvaluation();
    await evaluator.close();
  });

  it('moves an anonymous visitor into the customer who identifies, and back on unlink', async () => {
    const evaluator = streaming(store);
    evaluator.touched(
      await store_([
        { type: 'purchase', anonymousId: 'v1', daysAgo: 1, amount: 30 },
        { type: 'purchase', anonymousId: 'v1', daysAgo: 1, amount: 40 },
      ]),
    );
    await evaluator.idle();
    expect(await members('repeat')).toEqual(['a:v1']);
    recorded.length = 0;
    evaluator.touched(
      await store_([{ type: 'identify', customerId: 'bob', anonymousId: 'v1', daysAgo: 0.5 }]),
    );
    await evaluator.idle();
    expect(await members('repeat')).toEqual(['c:bob']);
    expect(recorded.filter((c) => c.segmentId === 'repeat').map((c) => c.change)).toEqual([
      'exited',
      'entered',
    ]);
    await expectEqualToFullEvaluation();
    // Cy takes v1 over: Bob, who had it, is evaluated too and leaves.
    evaluator.touched(
      await store_([{ type: 'identify', customerId: 'cy', anonymousId: 'v1', daysAgo: 0.4 }]),
    );
    await evaluator.idle();
    expect(await members('repeat')).toEqual(['c:cy']);
    await expectEqualToFullEvaluation();
    evaluator.touched(
      await store_([
        { type: 'identity_unlink', customerId: 'cy', anonymousId: 'v1', daysAgo: 0.3 },
      ]),
    );
    await evaluator.idle();
    expect(await members('repeat')).toEqual(['a:v1']);
    await expectEqualToFullEvaluation();
    await evaluator.close();
  });

  it('exits on a refund that brings net revenue down, and leaves untouched profiles alone', async () => {
    const evaluator = streaming(store);
    expect(await members('big-spender')).toEqual(['c:ada']);
    recorded.length = 0;
    evaluator.touched(
      await store_([{ type: 'refund', customerId: 'ada', daysAgo: 1, amount: 50 }]),
    );
    await evaluator.idle();
    expect(await members('big-spender')).toEqual([]);
    expect(new Set(recorded.map((c) => c.customerId))).toEqual(new Set(['ada']));
    await expectEqualToFullEvaluation();
    await evaluator.close();
  });

  it('retries a segment that fails without holding up the others, and loses none of its changes', async () => {
    let failing = true;
    const faulty = new Proxy(store, {
      get(target, name, receiver) {
        if (name === 'query') {
          return (sql: string, params?: Record<string, unknown>) =>
            failing && params?.scope_keys !== undefined && Object.values(params).includes('gold')
              ? Promise.reject(new StoreError('unavailable', 'the store stalled'))
              : target.query(sql, params);
        }
        const value: unknown = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
    const evaluator = streaming(faulty);
    recorded.length = 0;
    evaluator.touched(
      await store_([
        {
          type: 'identify',
          customerId: 'dee',
          daysAgo: 1,
          properties: { traits: { plan: 'gold' } },
        },
        { type: 'purchase', customerId: 'dee', daysAgo: 1, amount: 10 },
      ]),
    );
    await evaluator.idle();
    // The gold rule fails, and gold-buyers waits for it; the others go on.
    expect(
      evaluator
        .status()
        .failing.map((f) => f.segmentId)
        .sort(),
    ).toEqual(['gold', 'gold-buyers']);
    expect(await members('buyers')).toContain('c:dee');
    expect(recorded.map((c) => c.segmentId)).not.toContain('gold');
    failing = false;
    for (let i = 0; i < 100 && evaluator.status().failing.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await evaluator.idle();
    }
    expect(evaluator.status()).toMatchObject({ failing: [], pendingKeys: 0 });
    expect(await members('gold-buyers')).toContain('c:dee');
    expect(recorded.filter((c) => c.customerId === 'dee').map((c) => c.segmentId)).toEqual(
      expect.arrayContaining(['buyers', 'gold', 'gold-buyers']),
    );
    await expectEqualToFullEvaluation();
    await evaluator.close();
  });

  it('evaluates together what arrives while it rests after an evaluation', async () => {
    const evaluations: number[] = [];
    const evaluator = streaming(store, {
      // Rests of 5 s whatever an evaluation took: far longer than the wait below.
      rest: 1e9,
      maxRestMs: 5_000,
      metrics: metricsWith({
        segmentStreamSeconds: { observe: (seconds) => evaluations.push(seconds) },
      }),
    });
    evaluator.touched(await store_([{ type: 'page_view', customerId: 'rest-1', daysAgo: 1 }]));
    await evaluator.idle();
    expect(evaluations).toHaveLength(1);
    evaluator.touched(await store_([{ type: 'page_view', customerId: 'rest-2', daysAgo: 1 }]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    evaluator.touched(await store_([{ type: 'page_view', customerId: 'rest-3', daysAgo: 1 }]));
    await evaluator.idle();
    expect(evaluations).toHaveLength(2);
    expect(await members('recent-viewers')).toEqual(
      expect.arrayContaining(['c:rest-1', 'c:rest-2', 'c:rest-3']),
    );
    await expectEqualToFullEvaluation();
    await evaluator.close();
  }, 60_000);

  it('evaluates committed batches, resting as told until it knows their pace (rest auto)', async () => {
    const rests: number[] = [];
    const evaluator = streaming(store, {
      rest: 'auto',
      ingestShare: 0.85,
      metrics: metricsWith({ segmentStreamRest: { set: (rest) => rests.push(rest) } }),
    });
    evaluator.committed(await store_([{ type: 'purchase', customerId: 'auto-1', daysAgo: 1 }]));
    evaluator.committed(await store_([{ type: 'purchase', customerId: 'auto-1', daysAgo: 2 }]));
    await evaluator.idle();
    expect(await members('repeat')).toContain('c:auto-1');
    // Two batches are too few to tell ingest's pace: the rest is an evaluation's time.
    expect(rests.length).toBeGreaterThan(0);
    expect(rests.every((rest) => rest === 1)).toBe(true);
    await expectEqualToFullEvaluation();
    await evaluator.close();
  }, 60_000);

  it('evaluates thousands of profiles at once, their keys named once in each statement', async () => {
    const { watching, statements } = watchedQueries(
      (params) => Array.isArray(params?.scope_keys) && params.scope_keys.length > 1000,
    );
    const evaluator = streaming(watching);
    const many = Array.from({ length: 2_000 }, (_, i) => ({
      type: 'purchase' as const,
      customerId: `many-${i}`,
      daysAgo: 1 + (i % 5),
      amount: 60 + (i % 90),
    }));
    evaluator.touched(await store_(many));
    await evaluator.idle();
    expect(statements.length).toBeGreaterThan(0);
    for (const sql of statements) {
      expect(sql.split(SCOPE.keys)).toHaveLength(2);
      for (const placeholder of Object.values(SCOPE)) {
        expect(sql.split(placeholder).length).toBeLessThanOrEqual(2);
      }
    }
    expect((await members('buyers')).filter((key) => key.startsWith('c:many-'))).toHaveLength(
      2_000,
    );
    await expectEqualToFullEvaluation();
    await evaluator.close();
  }, 120_000);

  it('evaluates touched profiles on one thread, and a reconcile on every core', async () => {
    const { watching, statements } = watchedQueries((params) =>
      Object.keys(params ?? {}).some((name) => name.startsWith('rule_')),
    );
    const evaluator = streaming(watching);
    const keys = await store_([
      { type: 'purchase', customerId: 'one-thread', daysAgo: 1, amount: 30 },
    ]);
    evaluator.touched(keys);
    await evaluator.idle();
    expect(statements.length).toBeGreaterThan(0);
    for (const sql of statements) expect(sql).toContain('max_threads = 1');
    statements.length = 0;
    await evaluator.evaluate(['c:one-thread'], { batchOnly: true });
    expect(statements.length).toBeGreaterThan(0);
    for (const sql of statements) expect(sql).not.toContain('max_threads');
    expect(await members('buyers')).toContain('c:one-thread');
    await evaluator.close();
  });

  it("runs touched profiles' verdicts at the nice value it is given, a reconcile's at 0", async () => {
    const { watching, statements } = watchedQueries((params) =>
      Object.keys(params ?? {}).some((name) => name.startsWith('rule_')),
    );
    const evaluator = streaming(watching, { nice: 19 });
    const keys = await store_([{ type: 'purchase', customerId: 'niced', daysAgo: 1, amount: 30 }]);
    evaluator.touched(keys);
    await evaluator.idle();
    expect(statements.length).toBeGreaterThan(0);
    for (const sql of statements) expect(sql).toContain('max_threads = 1, os_thread_priority = 19');
    expect(await members('buyers')).toContain('c:niced');
    statements.length = 0;
    await evaluator.evaluate(['c:niced'], { batchOnly: true });
    expect(statements.length).toBeGreaterThan(0);
    for (const sql of statements) expect(sql).not.toContain('os_thread_priority');
    await evaluator.close();
    expect(() => streaming(watching, { nice: 20 })).toThrow(/nice value .* not 20/);
  });

  it('evaluates on the store it is given, and loses nothing when that store is cancelled', async () => {
    const evaluator = streaming(store);
    const { watching, statements } = watchedQueries((params) =>
      Object.keys(params ?? {}).some((name) => name.startsWith('rule_')),
    );
    await evaluator.evaluate(['c:nobody-here'], { batchOnly: true, store: watching });
    expect(statements.length).toBeGreaterThan(0);

    // A stop cancels a reconcile's store before its first statement, its second, and so on.
    for (let before = 1; before <= 8; before++) {
      const customerId = `cancelled-${before}`;
      await store_([
        { type: 'identify', customerId, daysAgo: 3, properties: { traits: { plan: 'gold' } } },
        { type: 'purchase', customerId, daysAgo: 2, amount: 80 },
        { type: 'purchase', customerId, daysAgo: 1, amount: 40 },
      ]);
      const run = cancellable(store, `reconcile-${before}`);
      let statementsRun = 0;
      const cancelledAt = (work: () => Promise<unknown>) => async () => {
        if (++statementsRun === before) await run.cancel();
        return work();
      };
      const view = Object.create(run) as Store;
      view.query = (...args) => cancelledAt(() => run.query(...args))() as never;
      view.command = (...args) => cancelledAt(() => run.command(...args))() as never;
      // Refused from some statement on: what it wrote is recorded, the rest evaluated again;
      // refused before it wrote anything, the evaluation fails and is asked for again.
      await evaluator
        .evaluate([`c:${customerId}`], { batchOnly: true, store: view })
        .catch(() => evaluator.evaluate([`c:${customerId}`], { batchOnly: true }));
      // A segment the cancel failed is owed the profile: evaluated again on the loop's store.
      await expect.poll(() => evaluator.status().failing).toEqual([]);
      await evaluator.idle();
      const entries = recorded
        .filter((change) => change.customerId === customerId)
        .map((change) => `${change.segmentId}:${change.change}`)
        .sort();
      expect({ before, entries }).toEqual({
        before,
        entries: [
          'big-spender:entered',
          'buyers:entered',
          'gold-buyers:entered',
          'gold:entered',
          'repeat:entered',
        ],
      });
    }
    await expectEqualToFullEvaluation();
    await evaluator.close();
  });

  it('evaluates only the segments named, reading those they refer to from membership', async () => {
    const evaluator = streaming(store);
    await store_([
      {
        type: 'identify',
        customerId: 'narrow',
        daysAgo: 3,
        properties: { traits: { plan: 'gold' } },
      },
      { type: 'purchase', customerId: 'narrow', daysAgo: 2, amount: 150 },
    ]);
    const named = async (segments: string[]) =>
      (await evaluator.evaluate(['c:narrow'], { batchOnly: true, segments })).map(
        (change) => `${change.segmentId}:${change.change}`,
      );
    // Gold and buyers are not evaluated: read from membership, where narrow is in neither.
    expect(await named(['gold-buyers'])).toEqual([]);
    expect((await named(['gold', 'buyers'])).sort()).toEqual(['buyers:entered', 'gold:entered']);
    expect(await members('big-spender')).not.toContain('c:narrow');
    expect(await named(['gold-buyers'])).toEqual(['gold-buyers:entered']);
    const rest = await evaluator.evaluate(['c:narrow'], { batchOnly: true });
    expect(rest.map((change) => change.segmentId).sort()).toEqual(['big-spender']);
    await expectEqualToFullEvaluation();
    await evaluator.close();
  });

  it('evaluates new events first when a catch-up of thousands of profiles waits', async () => {
    const waitingAtEachRecord: number[] = [];
    const firstRecorded: SegmentChange[] = [];
    const evaluator = streaming(store, {
      record: async (changes) => {
        if (waitingAtEachRecord.length === 0) firstRecorded.push(...changes);
        waitingAtEachRecord.push(evaluator.status().pendingKeys);
        recorded.push(...changes);
      },
    });
    const catchUp = Array.from({ length: 2_500 }, (_, i) => `c:catch-up-${i}`);
    const fresh = await store_([
      { type: 'purchase', customerId: 'fresh', daysAgo: 0.1, amount: 20 },
    ]);
    evaluator.touched(catchUp, { later: true });
    evaluator.touched(fresh);
    await evaluator.idle();
    // The first evaluation recorded the new customer's entries while most of the catch-up
    // still waited; the rest of it followed.
    expect(firstRecorded.filter((c) => c.customerId === 'fresh').map((c) => c.segmentId)).toEqual(
      expect.arrayContaining(['buyers']),
    );
    expect(waitingAtEachRecord[0]).toBeGreaterThanOrEqual(1_000);
    expect(evaluator.status().pendingKeys).toBe(0);
    await expectEqualToFullEvaluation();
    await evaluator.close();
  }, 120_000);
});
