import type { SegmentChange, SegmentRule } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, NOW, openMembers, storedEvent } from '../test-support.js';
import { StreamingSegments } from './streaming-segments.js';
import { WindowSweep, windowLengths } from './window-sweep.js';

const logger = pino({ level: 'silent' });
let test: TestStore;
let store: Store;
let now = NOW;
const clock = () => now;

const RULES: Record<string, SegmentRule> = {
  recent: { type: 'event', event: 'page_view', within: { lastDays: 7 } },
  quiet: { type: 'event', event: 'purchase', within: { lastDays: 30 }, count: { exactly: 0 } },
  lapsed: { type: 'field', field: 'lifecycle', op: 'eq', value: 'lapsed' },
  'seen-lately': { type: 'field', field: 'lastSeen', op: 'inLastDays', value: 14 },
};

const members = (segmentId: string) => openMembers(store, segmentId);

beforeAll(async () => {
  test = await openTestStore();
  store = test.store;
  await insertRows(
    store,
    'segment_definitions',
    Object.entries(RULES).map(([id, rule]) => ({
      segment_id: id,
      version: 1,
      name: id,
      description: '',
      rule: JSON.stringify(rule),
      deleted: 0,
      created_at: NOW - DAY,
    })),
  );
  await insertRows(
    store,
    'events',
    [
      { type: 'page_view', customerId: 'ann', daysAgo: 6.99 },
      { type: 'purchase', customerId: 'bo', daysAgo: 29.99, amount: 5 },
      { type: 'identify', customerId: 'cy', daysAgo: 89.99 },
      { type: 'page_view', customerId: 'dan', daysAgo: 13.99 },
      { type: 'page_view', customerId: 'eli', daysAgo: 2 },
    ].map(storedEvent),
  );
});
afterAll(() => test.dispose());

describe('window sweep', () => {
  it('knows which windows a rule moves with', () => {
    expect(windowLengths(RULES.recent!, 90 * DAY)).toEqual([7 * DAY]);
    expect(windowLengths({ type: 'not', rule: RULES.lapsed! }, 5)).toEqual([5]);
    expect(windowLengths({ type: 'field', field: 'orders', op: 'gte', value: 2 }, 5)).toEqual([]);
  });

  it('moves members whose window edge passed, without an event, and only those', async () => {
    const recorded: SegmentChange[] = [];
    const evaluator = new StreamingSegments({
      store,
      lapsedAfterDays: 90,
      logger,
      clock,
      record: async (changes) => {
        recorded.push(...changes);
      },
    });
    evaluator.touched(['c:ann', 'c:bo', 'c:cy', 'c:dan', 'c:eli']);
    await evaluator.idle();
    expect(await members('recent')).toEqual(['c:ann', 'c:eli']);
    expect(await members('quiet')).toEqual(['c:ann', 'c:cy', 'c:dan', 'c:eli']);
    expect(await members('lapsed')).toEqual([]);
    expect(await members('seen-lately')).toEqual(['c:ann', 'c:dan', 'c:eli']);

    const handed: string[] = [];
    const sweep = new WindowSweep({
      store,
      lapsedMs: 90 * DAY,
      logger,
      clock,
      lookBackMs: 0,
      touched: (keys) => {
        handed.push(...keys);
        evaluator.touched(keys);
      },
    });
    // 0.02 days (29 minutes) later: ann's view leaves the 7 days, bo's purchase the 30, cy's
    // last activity passes 90 days, dan's last visit 14 days; eli's edge is days away.
    now = NOW + 0.02 * DAY;
    recorded.length = 0;
    await sweep.sweep();
    await evaluator.idle();
    expect(handed.sort()).toEqual(['c:ann', 'c:bo', 'c:cy', 'c:dan']);
    expect(await members('recent')).toEqual(['c:eli']);
    expect(await members('quiet')).toEqual(['c:ann', 'c:bo', 'c:cy', 'c:dan', 'c:eli']);
    expect(await members('lapsed')).toEqual(['c:cy']);
    expect(await members('seen-lately')).toEqual(['c:ann', 'c:eli']);
    expect(recorded.every((change) => change.at === new Date(now).toISOString())).toBe(true);

    // Nothing else passes in the next minute: nothing is read again.
    handed.length = 0;
    now += 60_000;
    await sweep.sweep();
    expect(handed).toEqual([]);
    await evaluator.close();
  });
});
