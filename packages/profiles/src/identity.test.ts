import { insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkedAnonymousIds, ownerOf, ownersSql } from './identity.js';

// Each case of identity ownership, once: the SQL every job, rule and read uses, and the two
// readers built on it.

let test: TestStore;
const T = Date.UTC(2024, 5, 1);
const MINUTE = 60_000;
let sequence = 0;

/** A link row (an identify with both ids) or an unlink row, at `at`. */
const link = (anonymousId: string, customerId: string, at: number, linked = 1) => ({
  anonymous_id: anonymousId,
  customer_id: customerId,
  linked,
  at,
  event_id: `e${++sequence}`,
});

beforeAll(async () => {
  test = await openTestStore();
  await insertRows(test.store, 'identity_links', [
    // Linked before T and never touched again.
    link('linked', 'ada', T - 10 * MINUTE),
    // Linked only after T.
    link('later', 'ada', T + 10 * MINUTE),
    // Linked, then unlinked before T.
    link('unlinked', 'ada', T - 20 * MINUTE),
    link('unlinked', 'ada', T - 10 * MINUTE, 0),
    // Linked to ada, then to bob (a shared device changing hands) before T.
    link('relinked', 'ada', T - 20 * MINUTE),
    link('relinked', 'bob', T - 10 * MINUTE),
    // Linked exactly at T.
    link('at-t', 'ada', T),
    // Linked to bob before T, to ada after T.
    link('moves-later', 'bob', T - 10 * MINUTE),
    link('moves-later', 'ada', T + 10 * MINUTE),
  ]);
});
afterAll(async () => {
  await test.dispose();
});

async function ownersAs(asOf: number | undefined, inOrder: boolean) {
  const rows = await test.store.query<{ anonymous_id: string; owner: string }>(
    `SELECT anonymous_id, owner FROM (${ownersSql({ asOf: asOf !== undefined, inOrder })})
     ORDER BY anonymous_id`,
    { asOf },
  );
  return Object.fromEntries(rows.map((row) => [row.anonymous_id, row.owner]));
}

/** The owners, checked equal whether each id's latest row is found by grouping or in order. */
async function owners(asOf?: number): Promise<Record<string, string>> {
  const grouped = await ownersAs(asOf, false);
  expect(await ownersAs(asOf, true)).toEqual(grouped);
  return grouped;
}

describe('identity ownership', () => {
  it('gives each anonymous id to the customer of its latest link row, as of a time', async () => {
    expect(await owners(T)).toEqual({
      linked: 'ada',
      relinked: 'bob',
      'at-t': 'ada',
      'moves-later': 'bob',
    });
  });

  it('counts every link row when no time is given', async () => {
    expect(await owners()).toEqual({
      linked: 'ada',
      later: 'ada',
      relinked: 'bob',
      'at-t': 'ada',
      'moves-later': 'ada',
    });
  });

  it('lists the anonymous ids a customer owns, now and as of a time', async () => {
    expect(await linkedAnonymousIds(test.store, 'ada')).toEqual([
      'at-t',
      'later',
      'linked',
      'moves-later',
    ]);
    expect(await linkedAnonymousIds(test.store, 'ada', T)).toEqual(['at-t', 'linked']);
    expect(await linkedAnonymousIds(test.store, 'ada', T - MINUTE)).toEqual(['linked']);
    expect(await linkedAnonymousIds(test.store, 'bob', T)).toEqual(['moves-later', 'relinked']);
    expect(await linkedAnonymousIds(test.store, 'nobody')).toEqual([]);
  });

  it('names the owner of one anonymous id, or none', async () => {
    expect(await ownerOf(test.store, 'linked')).toBe('ada');
    expect(await ownerOf(test.store, 'later', T)).toBeNull();
    expect(await ownerOf(test.store, 'later', T + 10 * MINUTE)).toBe('ada');
    expect(await ownerOf(test.store, 'unlinked')).toBeNull();
    expect(await ownerOf(test.store, 'unlinked', T - 15 * MINUTE)).toBe('ada');
    expect(await ownerOf(test.store, 'relinked')).toBe('bob');
    expect(await ownerOf(test.store, 'at-t', T)).toBe('ada');
    expect(await ownerOf(test.store, 'at-t', T - 1)).toBeNull();
    expect(await ownerOf(test.store, 'never-seen')).toBeNull();
  });
});
