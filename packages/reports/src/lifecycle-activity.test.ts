import { eventRow, insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLifecycleReport, stagesFromKeysSql } from './lifecycle-report.js';

// A key's activity in the period and in the lapse before each bound: told from its last
// activity when nothing happened since the period's end, and from its days otherwise.
// Hand-worked with a lapse of 30 days; nobody orders but ann and cat, once each.
// - ann: views 01-10, orders 02-20, views 03-10.
// - ben: views 01-05, then 05-20 (after March).
// - cat: owns anon-c, which viewed on mobile 02-10; cat views 03-05 and orders 03-06.
// - dan: views 2023-12-20 and 02-25.
// - anon-v views 03-20, anon-w 01-15, anon-u 04-20 (visitors no one owns).
// - eve: first views 03-15.
// - fay: views 02-01, 03-31 23:59:59 and 04-01 00:00 (the first instant after March).
// The latest event is ben's of 05-20.

let test: TestStore;
const LAPSE = 30;

beforeAll(async () => {
  test = await openTestStore();
  const view = (ids: object, iso: string, channel = 'web') =>
    eventRow({ type: 'page_view', ...ids, at: Date.parse(iso), channel });
  const order = (customerId: string, iso: string) =>
    eventRow({
      type: 'purchase',
      customerId,
      at: Date.parse(iso),
      amount: 10,
      orderId: `${customerId}-${iso}`,
    });
  await insertRows(test.store, 'events', [
    view({ customerId: 'ann' }, '2024-01-10T10:00:00Z'),
    order('ann', '2024-02-20T10:00:00Z'),
    view({ customerId: 'ann' }, '2024-03-10T10:00:00Z'),
    view({ customerId: 'ben' }, '2024-01-05T10:00:00Z'),
    view({ customerId: 'ben' }, '2024-05-20T10:00:00Z'),
    view({ anonymousId: 'anon-c' }, '2024-02-10T10:00:00Z', 'mobile'),
    view({ customerId: 'cat' }, '2024-03-05T10:00:00Z'),
    order('cat', '2024-03-06T10:00:00Z'),
    view({ customerId: 'dan' }, '2023-12-20T10:00:00Z'),
    view({ customerId: 'dan' }, '2024-02-25T10:00:00Z'),
    view({ anonymousId: 'anon-v' }, '2024-03-20T10:00:00Z'),
    view({ anonymousId: 'anon-w' }, '2024-01-15T10:00:00Z'),
    view({ anonymousId: 'anon-u' }, '2024-04-20T10:00:00Z'),
    view({ customerId: 'eve' }, '2024-03-15T10:00:00Z'),
    view({ customerId: 'fay' }, '2024-02-01T10:00:00Z'),
    view({ customerId: 'fay' }, '2024-03-31T23:59:59Z'),
    view({ customerId: 'fay' }, '2024-04-01T00:00:00Z'),
  ]);
  await insertRows(test.store, 'identity_links', [
    {
      anonymous_id: 'anon-c',
      customer_id: 'cat',
      linked: 1,
      at: Date.parse('2024-03-05T09:00:00Z'),
      event_id: 'link-anon-c',
    },
  ]);
}, 120_000);
afterAll(() => test.dispose());

const lifecycle = (from: string, to: string) =>
  readLifecycleReport(test.store, { from, to, lapsedAfterDays: LAPSE });
const stages = (answer: Awaited<ReturnType<typeof lifecycle>>, at: 'start' | 'end') =>
  Object.fromEntries(answer.stages.map((row) => [row.stage, row[at]]));

describe('a period with events after it (March: ben and fay are seen again)', () => {
  // ben was silent through the lapse before each bound and in the period: lapsed at both, not
  // active, though his last activity is after the period. fay was seen on 03-31: a lead,
  // active. dan's last activity (02-25) is before the lapse before the end: lapsed there.
  it('tells activity from the days of the period', async () => {
    const answer = await lifecycle('2024-03-01', '2024-04-01');
    expect(answer.flows).toEqual([
      { from: 'new', to: 'visitor', profiles: 1 },
      { from: 'new', to: 'lead', profiles: 1 },
      { from: 'visitor', to: 'visitor', profiles: 1 },
      { from: 'visitor', to: 'customer', profiles: 1 },
      { from: 'lead', to: 'lead', profiles: 1 },
      { from: 'lead', to: 'lapsed', profiles: 1 },
      { from: 'customer', to: 'customer', profiles: 1 },
      { from: 'lapsed', to: 'lapsed', profiles: 1 },
    ]);
    expect(stages(answer, 'start')).toEqual({
      visitor: 2,
      lead: 2,
      customer: 1,
      repeat: 0,
      lapsed: 1,
    });
    expect(stages(answer, 'end')).toEqual({
      visitor: 2,
      lead: 2,
      customer: 2,
      repeat: 0,
      lapsed: 2,
    });
    expect(answer.prospects).toEqual({
      visitors: 1,
      leads: 2,
      sources: [{ channel: 'web', source: '', medium: '', visitors: 1, leads: 2 }],
    });
  });

  it('gives the same rows when told from the last activity, keys seen since read by day', async () => {
    const params = {
      from: Date.parse('2024-03-01T00:00:00Z'),
      to: Date.parse('2024-04-01T00:00:00Z'),
      lapsedMs: LAPSE * 86_400_000,
    };
    const sorted = (rows: object[]) => rows.map((row) => JSON.stringify(row)).sort();
    const byDays = await test.store.query<object>(stagesFromKeysSql(false), params);
    const byLastSeen = await test.store.query<object>(stagesFromKeysSql(true), params);
    expect(byDays.length).toBeGreaterThan(0);
    expect(sorted(byLastSeen)).toEqual(sorted(byDays));
  });
});

describe('a period up to the latest events (April and May)', () => {
  // The lapse before the end starts 05-02. ben, back on 05-20 after a lapse, is a lead again;
  // fay, last seen 04-01, and ann, cat and eve, last seen in March, lapse by the end; dan was
  // lapsed throughout; anon-u, first seen 04-20, is a new visitor, active.
  it('tells activity from the last activity', async () => {
    const answer = await lifecycle('2024-04-01', '2024-06-01');
    expect(answer.flows).toEqual([
      { from: 'new', to: 'visitor', profiles: 1 },
      { from: 'visitor', to: 'visitor', profiles: 2 },
      { from: 'lead', to: 'lapsed', profiles: 2 },
      { from: 'customer', to: 'lapsed', profiles: 2 },
      { from: 'lapsed', to: 'lead', profiles: 1 },
      { from: 'lapsed', to: 'lapsed', profiles: 1 },
    ]);
    expect(stages(answer, 'start')).toEqual({
      visitor: 2,
      lead: 2,
      customer: 2,
      repeat: 0,
      lapsed: 2,
    });
    expect(stages(answer, 'end')).toEqual({
      visitor: 3,
      lead: 1,
      customer: 0,
      repeat: 0,
      lapsed: 5,
    });
    expect(answer.prospects).toEqual({
      visitors: 1,
      leads: 1,
      sources: [{ channel: 'web', source: '', medium: '', visitors: 1, leads: 1 }],
    });
  });
});
