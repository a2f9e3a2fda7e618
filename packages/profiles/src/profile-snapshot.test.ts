import type { Store } from '@rapport/store';
import { eventRow, insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unlinkEvent } from './identity.js';
import { writeProfileSnapshot, type ProfileSnapshotParams } from './profile-snapshot.js';
import { lapsedMs } from './profile-sql.js';

// A snapshot taken from the previous one (unchanged profiles copied, the rest computed) is
// the snapshot computed from scratch, row for row.

let test: TestStore;
const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);
let sequence = 0;

/** A small deterministic history: customers with devices, orders, emails and traits. */
function history(customers: number, from: number): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let c = 0; c < customers; c++) {
    const customerId = `cust-${c}`;
    const device = `dev-${c}`;
    const at = (day: number) => from + day * DAY + c * 60_000;
    rows.push(
      eventRow({ type: 'page_view', anonymousId: device, at: at(0), eventId: `e${++sequence}` }),
    );
    if (c % 4 === 3) continue; // a visitor who never identifies
    rows.push(
      eventRow({
        type: 'identify',
        customerId,
        anonymousId: device,
        at: at(1),
        eventId: `e${++sequence}`,
        properties: {
          traits: { email: `${customerId}@example.com`, tier: c % 2 ? 'gold' : 'basic' },
        },
      }),
    );
    for (let o = 0; o < c % 3; o++) {
      rows.push(
        eventRow({
          type: 'purchase',
          customerId,
          at: at(2 + o * 20),
          eventId: `e${++sequence}`,
          orderId: `o${sequence}`,
          amount: 10 + c + o,
          currency: 'USD',
          properties: { items: [{ category: c % 2 ? 'books' : 'music' }] },
        }),
      );
    }
    rows.push(
      eventRow({
        type: 'email',
        customerId,
        at: at(3),
        eventId: `e${++sequence}`,
        channel: 'email',
        properties: { campaignId: 'spring', action: c % 2 ? 'opened' : 'sent' },
      }),
    );
  }
  return rows;
}

const params = (runId: string, now: number, runs: Partial<ProfileSnapshotParams> = {}) => ({
  runId,
  now,
  lapsedMs: lapsedMs(90),
  rfmRun: '',
  clvRun: '',
  clustersRun: '',
  ...runs,
});

/** A snapshot's rows, without the run id, in key order. */
async function rowsOf(store: Store, runId: string, except = 'run_id') {
  return store.query<Record<string, unknown>>(
    `SELECT * EXCEPT (${except}) FROM profile_features WHERE run_id = {runId:String} ORDER BY profile_key`,
    { runId },
  );
}

beforeAll(async () => {
  test = await openTestStore();
  await insertRows(test.store, 'events', history(40, START));
});
afterAll(() => test.dispose());

describe('a snapshot taken from the previous one', () => {
  it('copies the unchanged profiles and computes the others, equal to a full snapshot', async () => {
    const { store } = test;
    const first = await writeProfileSnapshot(store, params('run-1', START + 30 * DAY));
    expect(first).toEqual({ profiles: 40, computed: 40, copiedFrom: null });

    // Changes: new orders, a device linked to another customer, an unlink, a new visitor, a
    // trait changed; job results appear; and time passes, so some customers lapse.
    const later = START + 200 * DAY;
    await insertRows(store, 'events', [
      eventRow({
        type: 'purchase',
        customerId: 'cust-1',
        at: later - DAY,
        eventId: 'n1',
        orderId: 'on1',
        amount: 99,
        currency: 'USD',
      }),
      eventRow({
        type: 'identify',
        customerId: 'cust-2',
        anonymousId: 'dev-7',
        at: later - 2 * DAY,
        eventId: 'n2',
      }),
      {
        ...unlinkEvent({ customerId: 'cust-5', anonymousId: 'dev-5', at: later - 3 * DAY }),
        context: '{}',
        properties: '{}',
      },
      eventRow({ type: 'page_view', anonymousId: 'dev-new', at: later - DAY, eventId: 'n3' }),
      eventRow({
        type: 'identify',
        customerId: 'cust-9',
        at: later - 4 * DAY,
        eventId: 'n4',
        properties: { traits: { tier: 'platinum' } },
      }),
    ]);
    await insertRows(store, 'rfm_scores', [
      {
        run_id: 'rfm-1',
        customer_id: 'cust-4',
        as_of: later,
        recency_days: 3,
        frequency: 2,
        monetary: 30,
        r: 5,
        f: 3,
        m: 2,
        score: '532',
        segment: 'loyal',
      },
    ]);
    const runs = { rfmRun: 'rfm-1' };

    const copied = await writeProfileSnapshot(store, params('run-2', later, runs), {
      previousRun: 'run-1',
      maxChangedShare: 0.5,
    });
    await writeProfileSnapshot(store, params('run-full', later, runs));

    expect(copied.copiedFrom).toBe('run-1');
    expect(copied.profiles).toBe(41);
    // Computed: cust-1 (an order), cust-2 (gained dev-7, whose own profile is gone), cust-5
    // and dev-5 (unlinked), dev-new and cust-9 (a trait); the other 35 copied.
    expect(copied.computed).toBe(6);
    const full = await rowsOf(store, 'run-full');
    expect(await rowsOf(store, 'run-2')).toEqual(full);
    expect(full.some((row) => row.lifecycle === 'lapsed')).toBe(true);
    expect(full.find((row) => row.profile_key === 'c:cust-4')?.rfm_segment).toBe('loyal');
  });

  it('computes every row when too many changed, or when the previous snapshot has no fingerprints', async () => {
    const { store } = test;
    const now = START + 300 * DAY;
    await writeProfileSnapshot(store, params('run-3', now));
    await insertRows(store, 'events', history(10, START + 250 * DAY));
    const many = await writeProfileSnapshot(store, params('run-4', now), {
      previousRun: 'run-3',
      maxChangedShare: 0.1,
      fewChanged: 0,
    });
    expect(many.copiedFrom).toBeNull();
    expect(many.computed).toBe(many.profiles);

    await store.command(
      `ALTER TABLE profile_features UPDATE fingerprint = 0 WHERE run_id = 'run-4' SETTINGS mutations_sync = 1`,
    );
    const unknown = await writeProfileSnapshot(store, params('run-5', now), {
      previousRun: 'run-4',
    });
    expect(unknown).toMatchObject({ computed: many.profiles, copiedFrom: null });
    const except = 'run_id, fingerprint';
    expect(await rowsOf(store, 'run-5', except)).toEqual(await rowsOf(store, 'run-4', except));
  });
});
