import { insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPE, scopeBoundOnce, scopeParams } from './scope-params.js';

let test: TestStore;
const T = Date.UTC(2024, 5, 1);
let sequence = 0;

const link = (anonymousId: string, customerId: string, linked = 1) => ({
  anonymous_id: anonymousId,
  customer_id: customerId,
  linked,
  at: T + ++sequence,
  event_id: `e${sequence}`,
});

beforeAll(async () => {
  test = await openTestStore();
  await insertRows(test.store, 'identity_links', [
    link('phone', 'ada'),
    link('laptop', 'ada'),
    // Unlinked: the owners join decides, so its key is still read.
    link('kiosk', 'ada'),
    link('kiosk', 'ada', 0),
    // Moved from bob to ada: both customers read it.
    link('tablet', 'bob'),
    link('tablet', 'ada'),
    link('other', 'cyd'),
  ]);
});
afterAll(async () => {
  await test.dispose();
});

describe('scopeParams', () => {
  it('names the customer keys of the profiles: their own and every anonymous id ever linked', async () => {
    const params = await scopeParams(test.store, ['c:ada', 'c:bob', 'a:visitor', 'a:tablet']);
    expect(params.scope_keys).toEqual(['c:ada', 'c:bob', 'a:visitor', 'a:tablet']);
    expect(params.scope_customer_ids.sort()).toEqual(['ada', 'bob']);
    expect(params.scope_anonymous_ids.sort()).toEqual([
      'kiosk',
      'laptop',
      'phone',
      'tablet',
      'visitor',
    ]);
    expect(params.scope_customer_keys.sort()).toEqual([
      'a:kiosk',
      'a:laptop',
      'a:phone',
      'a:tablet',
      'a:visitor',
      'c:ada',
      'c:bob',
    ]);
  });

  it('reads nothing for anonymous keys alone, and names no one for a string that is no key', async () => {
    const reads: string[] = [];
    const store = { ...test.store, query: (sql: string) => (reads.push(sql), Promise.resolve([])) };
    const params = await scopeParams(store as never, ['a:x', 'nonsense']);
    expect(reads).toEqual([]);
    expect(params.scope_customer_ids).toEqual([]);
    expect(params.scope_anonymous_ids).toEqual(['x']);
    expect(params.scope_customer_keys).toEqual(['a:x', 'nonsense']);
  });
});

describe('scopeBoundOnce', () => {
  it('binds each array named once, at the top, and the statement reads the same', async () => {
    const sql = `SELECT
      countIf(customer_id IN ${SCOPE.customerIds}) AS customers,
      (SELECT count() FROM identity_links WHERE anonymous_id IN ${SCOPE.anonymousIds}) AS rows,
      has(${SCOPE.customerIds}, 'bob') AS bob
    FROM identity_links`;
    const once = scopeBoundOnce(sql);
    for (const placeholder of [SCOPE.customerIds, SCOPE.anonymousIds]) {
      expect(once.split(placeholder)).toHaveLength(2);
    }
    expect(once).not.toContain(SCOPE.keys);
    const params = await scopeParams(test.store, ['c:bob']);
    expect(await test.store.query(once, params)).toEqual(await test.store.query(sql, params));
    expect(scopeBoundOnce('SELECT 1')).toBe('SELECT 1');
  });
});
