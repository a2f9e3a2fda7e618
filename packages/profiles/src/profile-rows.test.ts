import { LatestRuns, RunStore } from '@rapport/runs';
import { eventRow, insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unlinkEvent } from './identity.js';
import { ProfileCache } from './profile-cache.js';
import { ProfileRows } from './profile-rows.js';
import { ProfileService } from './profile-service.js';
import { lapsedMs } from './profile-sql.js';
import { RowWrites } from './row-writes.js';

// Stored profile rows: served only while they match the projections, rewritten behind changes.

let test: TestStore;
let rows: ProfileRows;
/** Reads through the rows where they are current. */
let stored: ProfileService;
/** Reads the projections every time: the reference. */
let projected: ProfileService;
const NOW = Date.UTC(2024, 11, 31);
const DAY = 86_400_000;
const AT = { now: NOW, lapsedMs: lapsedMs(90) };

function service(withRows: boolean): ProfileService {
  return new ProfileService({
    store: test.store,
    cache: new ProfileCache({ maxBytes: 0 }),
    latest: new LatestRuns(test.store, 0),
    runs: new RunStore(test.store),
    segments: { ofProfile: async () => [], describe: async () => [], invalidate: () => {} },
    currency: 'USD',
    lifecycle: { lapsedAfterDays: 90 },
    now: () => NOW,
    ...(withRows ? { rows } : {}),
  });
}

/** Both read paths give the same profile for each customer (and visitor). */
async function expectSameProfiles(customers: string[], visitors: string[] = []) {
  for (const id of customers) {
    expect(await stored.customer(id), id).toEqual(await projected.customer(id));
  }
  for (const id of visitors) {
    expect(await stored.visitor(id), id).toEqual(await projected.visitor(id));
  }
}

beforeAll(async () => {
  test = await openTestStore();
  rows = new ProfileRows(test.store, { latest: new LatestRuns(test.store, 0) });
  stored = service(true);
  projected = service(false);
  await insertRows(test.store, 'events', [
    eventRow({
      type: 'purchase',
      customerId: 'ada',
      at: NOW - 5 * DAY,
      orderId: 'o-1',
      amount: 13.33,
      currency: 'USD',
      properties: { items: [{ category: 'shoes', quantity: 1 }] },
    }),
    eventRow({ type: 'email', customerId: 'ada', at: NOW - DAY, properties: { action: 'sent' } }),
    eventRow({ type: 'page_view', anonymousId: 'dev-1', at: NOW - 3 * DAY }),
    eventRow({ type: 'identify', customerId: 'ada', anonymousId: 'dev-1', at: NOW - 3 * DAY }),
    eventRow({
      type: 'identify',
      customerId: 'ada',
      at: NOW - 3 * DAY,
      properties: { traits: { email: 'ada@example.com', plan: 'pro' } },
    }),
    eventRow({ type: 'page_view', customerId: 'quiet', at: NOW - 200 * DAY }),
    eventRow({ type: 'page_view', anonymousId: 'stranger', at: NOW - DAY }),
  ]);
  await rows.rebuildIfEmpty();
});
afterAll(async () => {
  await rows.close();
  await test.dispose();
});

describe('ProfileRows', () => {
  it('serves every profile as the projections compute it, lifecycle taken at the read', async () => {
    expect(await rows.read('c:ada', AT)).toMatchObject({
      anonymousIds: ['dev-1'],
      traits: { email: '"ada@example.com"', plan: '"pro"' },
      columns: { events: 5, lifecycle: 'customer' },
    });
    expect(await rows.read('c:quiet', AT)).toMatchObject({ columns: { lifecycle: 'lapsed' } });
    expect(await rows.read('a:stranger', AT)).toMatchObject({ columns: { lifecycle: 'visitor' } });
    // The anonymous id's activity is its owner's: it has no profile of its own.
    expect(await rows.read('a:dev-1', AT)).toBeUndefined();
    await expectSameProfiles(['ada', 'quiet', 'nobody'], ['stranger', 'dev-1']);
  });

  it('answers nothing for a row the projections moved past, and rewrites it behind the read', async () => {
    await insertRows(test.store, 'events', [
      eventRow({ type: 'click', anonymousId: 'dev-1', at: NOW - DAY }),
    ]);
    expect(await rows.read('c:ada', AT)).toBeUndefined();
    await expectSameProfiles(['ada']);
    await rows.idle();
    expect(await rows.read('c:ada', AT)).toMatchObject({ columns: { events: 6, clicks: 1 } });
  });

  it('sees a device move to another customer, and an unlink, though no count of the customer changed', async () => {
    await insertRows(test.store, 'events', [
      eventRow({ type: 'page_view', anonymousId: 'dev-2', at: NOW - 2 * DAY }),
      eventRow({ type: 'identify', customerId: 'ada', anonymousId: 'dev-2', at: NOW - 2 * DAY }),
    ]);
    rows.touched(['c:ada', 'a:dev-2']);
    await rows.idle();
    expect((await rows.read('c:ada', AT))?.anonymousIds).toEqual(['dev-1', 'dev-2']);

    // dev-1 now identifies as bob: stored under bob's key, ada's own aggregates do not move.
    await insertRows(test.store, 'events', [
      eventRow({ type: 'identify', customerId: 'bob', anonymousId: 'dev-1', at: NOW - DAY }),
    ]);
    expect(await rows.read('c:ada', AT)).toBeUndefined();
    await expectSameProfiles(['ada', 'bob']);

    // An unlink is counted by no projection but the links.
    rows.touched(['c:ada', 'c:bob']);
    await rows.idle();
    expect((await rows.read('c:ada', AT))?.anonymousIds).toEqual(['dev-2']);
    await insertRows(test.store, 'events', [
      unlinkEvent({ customerId: 'ada', anonymousId: 'dev-2', at: NOW - DAY / 2 }),
    ]);
    expect(await rows.read('c:ada', AT)).toBeUndefined();
    await expectSameProfiles(['ada'], ['dev-2']);
  });

  it('sees a device linked after a rewrite read the customer’s links, though the row lists no id of it', async () => {
    await insertRows(test.store, 'events', [
      eventRow({ type: 'purchase', customerId: 'carol', at: NOW - 2 * DAY, orderId: 'o-c' }),
    ]);
    rows.touched(['c:carol']);
    await rows.idle();
    expect(await rows.read('c:carol', AT)).toMatchObject({
      anonymousIds: [],
      columns: { events: 1 },
    });

    // A rewrite that read carol's links (none) before the link below was stored, and its
    // statement after: the row counts the identify but lists no device and none of its events.
    await insertRows(test.store, 'events', [
      eventRow({ type: 'page_view', anonymousId: 'dev-3', at: NOW - DAY }),
      eventRow({ type: 'identify', customerId: 'carol', anonymousId: 'dev-3', at: NOW - DAY }),
    ]);
    const writes = new RowWrites(test.store, {
      latest: new LatestRuns(test.store, 0),
      excluded: new Set(),
    });
    await writes.rewrite(['c:carol'], new Map([['carol', { ids: [], rows: 0 }]]));
    expect(await rows.read('c:carol', AT)).toBeUndefined();
    await expectSameProfiles(['carol'], ['dev-3']);
    await rows.idle();
    expect(await rows.read('c:carol', AT)).toMatchObject({
      anonymousIds: ['dev-3'],
      columns: { events: 3, page_views: 1 },
    });
  });

  it('rewrites the owner’s row for events under an owned anonymous id, and drops rows of profiles that hold nothing', async () => {
    await insertRows(test.store, 'events', [
      eventRow({ type: 'search', anonymousId: 'dev-1', at: NOW - DAY / 4 }),
    ]);
    rows.touched(['a:dev-1', 'a:dev-2']);
    await rows.idle();
    expect(await rows.read('c:bob', AT)).toMatchObject({ columns: { searches: 1 } });
    // dev-2 is a visitor again after the unlink: its own row holds its activity.
    expect(await rows.read('a:dev-2', AT)).toMatchObject({ columns: { page_views: 1 } });
    await expectSameProfiles(['ada', 'bob', 'quiet'], ['dev-1', 'dev-2', 'stranger']);

    await test.store.command("DELETE FROM customer_stats WHERE customer_key = 'c:quiet'");
    rows.touched(['c:quiet']);
    await rows.idle();
    const [left] = await test.store.query<{ n: number }>(
      "SELECT count() AS n FROM profile_rows FINAL WHERE profile_key = 'c:quiet'",
    );
    expect(Number(left?.n)).toBe(0);
  });
});
