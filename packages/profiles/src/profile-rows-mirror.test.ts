import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LatestRuns, RunStore } from '@rapport/runs';
import type { ProfileSegment } from '@rapport/schemas';
import type { Store, StoreOpening } from '@rapport/store';
import { eventRow, insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileCache } from './profile-cache.js';
import { ProfileRows } from './profile-rows.js';
import { ProfileService } from './profile-service.js';
import { lapsedMs } from './profile-sql.js';
import { openRowMirror } from './row-mirror-fill.js';
import type { RowMirror } from './row-mirror.js';

// Profile rows with their local copy: served without a statement while this process knows them
// current, never when it knows them behind, and equal to the projections either way.

let test: TestStore;
let opening: StoreOpening;
/** Statements the rows sent to the store. */
let statements = 0;
let counted: Store;
let rows: ProfileRows;
/** The mirror the rows were last opened with. */
let mirror: RowMirror;
const NOW = Date.UTC(2024, 11, 31);
const DAY = 86_400_000;
const AT = { now: NOW, lapsedMs: lapsedMs(90) };

function service(withRows: ProfileRows | undefined, now = NOW): ProfileService {
  return new ProfileService({
    store: test.store,
    cache: new ProfileCache({ maxBytes: 0 }),
    latest: new LatestRuns(test.store, 0),
    runs: new RunStore(test.store),
    segments: { ofProfile: async () => [], describe: async () => [], invalidate: () => {} },
    currency: 'USD',
    lifecycle: { lapsedAfterDays: 90 },
    now: () => now,
    ...(withRows ? { rows: withRows } : {}),
  });
}

/** Open memberships as the segment store holds them; the rows ask for them by key. */
const memberships = new Map<string, ProfileSegment[]>();
let membershipReads = 0;
async function membershipsOf(keys: readonly string[]) {
  membershipReads++;
  return new Map(
    keys.flatMap((key) => (memberships.has(key) ? [[key, memberships.get(key)!]] : [])),
  );
}
const member = (id: string): ProfileSegment => ({
  id,
  name: '',
  since: '2024-12-01T00:00:00.000Z',
  version: 1,
  computedAt: '',
});

async function openRows(at: StoreOpening): Promise<ProfileRows> {
  mirror = await openRowMirror(at, { fresh: false });
  const opened = new ProfileRows(counted, {
    latest: new LatestRuns(test.store, 0),
    mirror,
    membershipsOf,
    // A page of two rows: the copy after a rebuild takes several drains.
    copyPageRows: 2,
  });
  await opened.start();
  return opened;
}

/** The profiles through the rows equal the projections', at each of these times. */
async function expectSameProfiles(customers: string[], times = [NOW]) {
  for (const now of times) {
    const stored = service(rows, now);
    const projected = service(undefined, now);
    for (const id of customers) {
      expect(await stored.customer(id), `${id} at ${now}`).toEqual(await projected.customer(id));
    }
  }
}

/** Statements sent to the store while reading these keys' rows. */
async function statementsToRead(keys: string[]): Promise<number> {
  const before = statements;
  for (const key of keys) await rows.read(key, AT);
  return statements - before;
}

beforeAll(async () => {
  test = await openTestStore();
  if (!test.store.opening) throw new Error('an embedded test store has an opening');
  opening = test.store.opening;
  counted = new Proxy(test.store, {
    get(target, property, receiver) {
      if (property === 'query' || property === 'command') statements++;
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  await insertRows(test.store, 'events', [
    eventRow({ type: 'page_view', customerId: 'ada', at: NOW - 5 * DAY }),
    eventRow({ type: 'page_view', anonymousId: 'dev-1', at: NOW - 3 * DAY }),
    eventRow({ type: 'identify', customerId: 'ada', anonymousId: 'dev-1', at: NOW - 3 * DAY }),
    eventRow({
      type: 'identify',
      customerId: 'ada',
      at: NOW - 3 * DAY,
      // A value no other bytes of the row repeat (rows are compressed).
      properties: { traits: { email: 'ada@example.com', code: 'Kq7Zp2Xw9Rm4Vb8N' } },
    }),
    eventRow({ type: 'page_view', customerId: 'quiet', at: NOW - 120 * DAY }),
    eventRow({
      type: 'purchase',
      customerId: 'quiet',
      at: NOW - 120 * DAY,
      orderId: 'q-1',
      amount: 20,
      currency: 'USD',
    }),
  ]);
  // A new mirror is not trusted: the rows are rebuilt and copied first.
  rows = await openRows(opening);
  await rows.idle();
});
afterAll(async () => {
  await rows.close();
  await test.dispose();
});

describe('ProfileRows with a mirror', () => {
  it('serves current rows without a statement, the lifecycle taken at the read', async () => {
    expect(await statementsToRead(['c:ada', 'c:quiet'])).toBe(0);
    expect(await rows.read('c:ada', AT)).toMatchObject({
      anonymousIds: ['dev-1'],
      columns: { events: 4, lifecycle: 'lead' },
    });
    // quiet's last activity is 120 days back: lapsed now, a customer 40 days ago.
    expect((await rows.read('c:quiet', AT))?.columns.lifecycle).toBe('lapsed');
    const earlier = { ...AT, now: NOW - 40 * DAY };
    expect((await rows.read('c:quiet', earlier))?.columns.lifecycle).toBe('customer');
    await expectSameProfiles(['ada', 'quiet', 'nobody'], [NOW, NOW - 40 * DAY, NOW - 31 * DAY]);
  });

  it('never serves a row known behind: touched keys, and an owner through its devices', async () => {
    await insertRows(test.store, 'events', [
      eventRow({ type: 'click', customerId: 'ada', at: NOW - DAY }),
    ]);
    rows.touched(['c:ada']);
    await expectSameProfiles(['ada']);
    await rows.idle();
    expect(await statementsToRead(['c:ada'])).toBe(0);
    expect(await rows.read('c:ada', AT)).toMatchObject({ columns: { events: 5, clicks: 1 } });

    // An event under ada's device: her row is behind though her own key was not touched.
    await insertRows(test.store, 'events', [
      eventRow({ type: 'search', anonymousId: 'dev-1', at: NOW - DAY / 2 }),
    ]);
    rows.touched(['a:dev-1']);
    expect(await statementsToRead(['c:ada'])).toBeGreaterThan(0);
    await expectSameProfiles(['ada']);
    await rows.idle();
    expect(await rows.read('c:ada', AT)).toMatchObject({ columns: { searches: 1 } });
    expect(await statementsToRead(['c:ada'])).toBe(0);
  });

  it('stops serving the row of a customer whose device moved to another, once rewritten too', async () => {
    await insertRows(test.store, 'events', [
      eventRow({ type: 'identify', customerId: 'bob', anonymousId: 'dev-1', at: NOW - DAY / 4 }),
    ]);
    // The pipeline reports the event's keys: bob's and the device's, not ada's. (No read in
    // between: a read of ada would find her row behind by the store's check and have it
    // rewritten anyway.)
    rows.touched(['c:bob', 'a:dev-1']);
    await rows.idle();
    expect((await rows.read('c:ada', AT))?.anonymousIds).toEqual([]);
    expect((await rows.read('c:bob', AT))?.anonymousIds).toEqual(['dev-1']);
    expect(await statementsToRead(['c:ada', 'c:bob'])).toBe(0);
    await expectSameProfiles(['ada', 'bob']);
  });

  it('keeps memberships beside the rows, and reads them again once told they changed', async () => {
    expect((await rows.read('c:ada', AT))?.segments).toEqual([]);
    memberships.set('c:ada', [member('vip')]);
    rows.segmentsChanged(['c:ada']);
    // Until the mirror has read them again, the caller reads them from the store.
    expect((await rows.read('c:ada', AT))?.segments).toBeUndefined();
    const reads = membershipReads;
    await rows.idle();
    expect(membershipReads).toBeGreaterThan(reads);
    expect((await rows.read('c:ada', AT))?.segments).toEqual([member('vip')]);
    expect(await statementsToRead(['c:ada'])).toBe(0);
  });

  it('hands its rows to the next opening at a clean stop, with the keys still owed', async () => {
    await insertRows(test.store, 'events', [
      eventRow({ type: 'page_view', customerId: 'quiet', at: NOW - DAY }),
    ]);
    rows.touched(['c:quiet']);
    await rows.close();
    // The next process (here, the same one again) opens after this one.
    const next = { dataDir: opening.dataDir, token: 'next', previous: opening.token };
    rows = await openRows(next);
    expect(await statementsToRead(['c:ada'])).toBe(0);
    // quiet was owed a rewrite: checked until it is done, then served again.
    await expectSameProfiles(['quiet']);
    await rows.idle();
    expect((await rows.read('c:quiet', AT))?.columns.lifecycle).toBe('customer');
    expect(await statementsToRead(['c:quiet'])).toBe(0);
    opening = next;
  });

  it('never opens a file damaged since the clean stop, and serves its rows again once rebuilt', async () => {
    await rows.close();
    const file = join(opening.dataDir, 'profile-mirror.mdb');
    const bytes = readFileSync(file);
    // Each page's head overwritten: reading it, LMDB would crash or hang the process (the test's).
    for (let at = 0; at < bytes.length; at += 4096) bytes.fill(0x5a, at, at + 64);
    writeFileSync(file, bytes);
    const next = { dataDir: opening.dataDir, token: 'after-damage', previous: opening.token };
    rows = await openRows(next);
    expect([mirror.seal, mirror.trusted]).toEqual(['damaged', false]);
    await expectSameProfiles(['ada', 'bob', 'quiet']);
    await rows.idle();
    expect(await statementsToRead(['c:ada', 'c:bob', 'c:quiet'])).toBe(0);
    await expectSameProfiles(['ada', 'bob', 'quiet']);
    opening = next;
  });

  it('serves nothing unchecked once told the projections changed under unknown profiles, until rebuilt', async () => {
    expect(await statementsToRead(['c:quiet'])).toBe(0);
    rows.distrust();
    expect(await statementsToRead(['c:quiet'])).toBeGreaterThan(0);
    await rows.idle();
    expect(await statementsToRead(['c:quiet'])).toBe(0);
    await expectSameProfiles(['ada', 'bob', 'quiet']);
  });

  it('removes an excluded profile from the mirror and from its file', async () => {
    const file = join(opening.dataDir, 'profile-mirror.mdb');
    expect(readFileSync(file).includes('Kq7Zp2Xw9Rm4Vb8N')).toBe(true);
    await rows.exclude(['c:ada']);
    expect(readFileSync(file).includes('Kq7Zp2Xw9Rm4Vb8N')).toBe(false);
    // What the store still holds is read (and checked) from the store.
    expect(await statementsToRead(['c:ada'])).toBeGreaterThan(0);
    expect(await statementsToRead(['c:quiet'])).toBe(0);
  });
});
