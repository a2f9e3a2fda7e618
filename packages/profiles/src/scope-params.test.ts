import { insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkedScope, type LinkedScope } from './linked-scope.js';
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
    expect(params.scope_customer_ids).toEqual(['ada', 'bob']);
    // Beside each: the link rows naming it (ada's unlink and the move from bob count).
    expect(params.scope_link_rows).toEqual([5, 1]);
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

const sorted = (linked: LinkedScope['linked']) =>
  Object.fromEntries([...linked].map(([customer, links]) => [customer, [...links.ids].sort()]));

describe('linkedScope', () => {
  it('touches every customer an anonymous key was ever linked to, and reads their links', async () => {
    const scope = await linkedScope(test.store, ['a:tablet', 'a:visitor', 'c:cyd', 'c:new']);
    expect(scope.profiles).toEqual(['a:tablet', 'a:visitor', 'c:ada', 'c:bob', 'c:cyd', 'c:new']);
    expect(sorted(scope.linked)).toEqual({
      ada: ['kiosk', 'laptop', 'phone', 'tablet'],
      bob: ['tablet'],
      cyd: ['other'],
      new: [],
    });
    // Links and unlinks naming each customer, as read: a row written from them stores them.
    expect(Object.fromEntries([...scope.linked].map(([id, links]) => [id, links.rows]))).toEqual({
      ada: 5,
      bob: 1,
      cyd: 1,
      new: 0,
    });
  });

  it('gives scopeParams what it would read, so that it reads nothing', async () => {
    const scope = await linkedScope(test.store, ['a:kiosk', 'c:bob', 'a:visitor']);
    const reads: string[] = [];
    const counting = {
      ...test.store,
      query: (sql: string, params?: Record<string, unknown>) => {
        reads.push(sql);
        return test.store.query(sql, params);
      },
    };
    const given = await scopeParams(counting as never, scope.profiles, undefined, scope.linked);
    expect(reads).toEqual([]);
    const read = await scopeParams(test.store, scope.profiles);
    expect(given.scope_keys).toEqual(read.scope_keys);
    expect(given.scope_customer_ids).toEqual(read.scope_customer_ids);
    expect([...given.scope_anonymous_ids].sort()).toEqual([...read.scope_anonymous_ids].sort());
    expect([...given.scope_customer_keys].sort()).toEqual([...read.scope_customer_keys].sort());
    expect(given.scope_link_rows).toEqual(read.scope_link_rows);
    // A customer the links do not hold is read.
    await scopeParams(counting as never, ['c:cyd', 'c:ada'], undefined, scope.linked);
    expect(reads).toHaveLength(1);
  });

  it('gives the same scope when the keys take several statements', async () => {
    const filler = Array.from({ length: 4_000 }, (_, n) => `a:unseen-visitor-${n}`);
    const keys = ['a:tablet', ...filler, 'c:cyd'];
    const reads: string[] = [];
    // As a server takes them: keys in the URL, a few thousand a statement.
    const counting = {
      ...test.store,
      mode: 'http',
      query: (sql: string, params?: Record<string, unknown>) => {
        reads.push(sql);
        return test.store.query(sql, params);
      },
    };
    const scope = await linkedScope(counting as never, keys);
    expect(reads.length).toBeGreaterThan(1);
    expect(scope.profiles).toHaveLength(keys.length + 2);
    expect(sorted(scope.linked)).toEqual({
      ada: ['kiosk', 'laptop', 'phone', 'tablet'],
      bob: ['tablet'],
      cyd: ['other'],
    });
  });
});
