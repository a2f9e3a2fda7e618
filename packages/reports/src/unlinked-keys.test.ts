import { eventRow, insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readLifecycleReport } from './lifecycle-report.js';

// The lifecycle counts a visitor no customer owns apart from the customers: an anonymous id
// belongs to whoever its latest link row names, and to no one when that row is an unlink.
// Hand-worked, March 2024, nobody orders:
// - anon-x views on mobile 03-03; linked to ada 03-01, unlinked 03-10: a visitor of its own.
// - anon-y views on mobile 02-20; linked to bob 02-01, unlinked 02-15, linked again 03-01:
//   bob's, so bob was first seen 02-20 (a visitor at the start, identified on 03-02).
// - anon-z views on web 03-05; an unlink from cy on 02-01, then linked to cy 02-10: cy's.
// - ada, bob and cy view on web 03-02: leads at the end.

let test: TestStore;
const at = (iso: string) => Date.parse(iso);

beforeAll(async () => {
  test = await openTestStore();
  const view = (ids: object, iso: string, channel: string) =>
    eventRow({ type: 'page_view', ...ids, at: at(iso), channel });
  await insertRows(test.store, 'events', [
    view({ customerId: 'ada' }, '2024-03-02T08:00:00Z', 'web'),
    view({ customerId: 'bob' }, '2024-03-02T09:00:00Z', 'web'),
    view({ customerId: 'cy' }, '2024-03-02T10:00:00Z', 'web'),
    view({ anonymousId: 'anon-x' }, '2024-03-03T08:00:00Z', 'mobile'),
    view({ anonymousId: 'anon-y' }, '2024-02-20T08:00:00Z', 'mobile'),
    view({ anonymousId: 'anon-z' }, '2024-03-05T08:00:00Z', 'web'),
  ]);
  const link = (anonymousId: string, customerId: string, linked: number, iso: string) => ({
    anonymous_id: anonymousId,
    customer_id: customerId,
    linked,
    at: at(iso),
    event_id: `${anonymousId}-${iso}`,
  });
  await insertRows(test.store, 'identity_links', [
    link('anon-x', 'ada', 1, '2024-03-01T00:00:00Z'),
    link('anon-x', 'ada', 0, '2024-03-10T00:00:00Z'),
    link('anon-y', 'bob', 1, '2024-02-01T00:00:00Z'),
    link('anon-y', 'bob', 0, '2024-02-15T00:00:00Z'),
    link('anon-y', 'bob', 1, '2024-03-01T00:00:00Z'),
    link('anon-z', 'cy', 0, '2024-02-01T00:00:00Z'),
    link('anon-z', 'cy', 1, '2024-02-10T00:00:00Z'),
  ]);
}, 120_000);
afterAll(() => test.dispose());

it('counts an unlinked anonymous id as a visitor, a linked-again one as its owner', async () => {
  const answer = await readLifecycleReport(test.store, {
    from: '2024-03-01',
    to: '2024-04-01',
    lapsedAfterDays: 90,
  });
  expect(answer.flows).toEqual([
    { from: 'new', to: 'visitor', profiles: 1 },
    { from: 'new', to: 'lead', profiles: 2 },
    { from: 'visitor', to: 'lead', profiles: 1 },
  ]);
  const end = Object.fromEntries(answer.stages.map((row) => [row.stage, row.end]));
  expect(end).toMatchObject({ visitor: 1, lead: 3, customer: 0, repeat: 0, lapsed: 0 });
  expect(answer.prospects).toEqual({
    visitors: 1,
    leads: 3,
    sources: [
      { channel: 'mobile', source: '', medium: '', visitors: 1, leads: 1 },
      { channel: 'web', source: '', medium: '', visitors: 0, leads: 2 },
    ],
  });
});
