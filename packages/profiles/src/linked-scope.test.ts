import { insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkedScope } from './linked-scope.js';
import { scopeParams } from './scope-params.js';

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
    link('kiosk', 'ada'),
    link('kiosk', 'ada', 0),
    // Moved from bob to ada: both customers are touched through it.
    link('tablet', 'bob'),
    link('tablet', 'ada'),
    link('bob-phone', 'bob'),
    link('other', 'cyd'),
  ]);
});
afterAll(async () => {
  await test.dispose();
});

const sorted = (linked: ReadonlyMap<string, readonly string[]>) =>
  Object.fromEntries([...linked].map(([customer, ids]) => [customer, [...ids].sort()]));

describe('linkedScope', () => {
  it('touches every customer an anonymous key was ever linked to, and reads their links', async () => {
    const scope = await linkedScope(test.store, ['a:tablet', 'a:visitor', 'c:cyd', 'c:new']);
    expect(scope.profiles).toEqual(['a:tablet', 'a:visitor', 'c:ada', 'c:bob', 'c:cyd', 'c:new']);
    expect(sorted(scope.linked)).toEqual({
      ada: ['kiosk', 'laptop', 'phone', 'tablet'],
      bob: ['bob-phone', 'tablet'],
      cyd: ['other'],
      new: [],
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
      bob: ['bob-phone', 'tablet'],
      cyd: ['other'],
    });
  });
});
