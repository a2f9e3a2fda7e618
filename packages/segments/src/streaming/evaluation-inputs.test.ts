import type { SegmentRule } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDefinition } from '../store/definitions.js';
import { NOW, openMembers, storedEvent } from '../test-support.js';
import { EvaluationInputs } from './evaluation-inputs.js';
import { StreamingSegments } from './streaming-segments.js';

const logger = pino({ level: 'silent' });
let test: TestStore;

/** The store, with the SQL of every query made through it since the last `take`. */
function counted(store: Store) {
  let statements: string[] = [];
  const query: Store['query'] = (sql, ...rest) => {
    statements.push(sql);
    return store.query(sql, ...rest);
  };
  return {
    store: Object.assign(Object.create(store) as Store, { query }),
    take: () => {
      const taken = statements;
      statements = [];
      return taken;
    },
  };
}

const define = (store: Store, id: string, rule: SegmentRule) =>
  insertDefinition(store, {
    id,
    version: 1,
    name: id,
    description: '',
    rule: JSON.stringify(rule),
    deleted: false,
    createdAt: NOW - 1000,
    updatedAt: NOW - 1000,
  });

beforeAll(async () => {
  test = await openTestStore();
});
afterAll(() => test.dispose());

describe('what evaluations read besides their keys', () => {
  it('reads the definitions and job runs again for each evaluation unless told to keep them', async () => {
    const { store, take } = counted(test.store);
    const each = new EvaluationInputs(store, 90);
    await each.definitions();
    await each.profileParams();
    await each.definitions();
    expect(take()).toHaveLength(3);

    const kept = new EvaluationInputs(store, 90, 60_000);
    await Promise.all([kept.definitions(), kept.definitions(), kept.profileParams()]);
    await kept.profileParams();
    expect(take()).toHaveLength(2);
    kept.definitionsChanged();
    await kept.definitions();
    await kept.profileParams();
    expect(take()).toHaveLength(1);
    kept.runsChanged();
    await kept.profileParams();
    await kept.definitions();
    expect(take()).toHaveLength(1);
  });

  it('does not keep a read that failed', async () => {
    let fail = true;
    const query: Store['query'] = (sql, ...rest) =>
      fail ? Promise.reject(new Error('store away')) : test.store.query(sql, ...rest);
    const failing = Object.assign(Object.create(test.store) as Store, { query });
    const kept = new EvaluationInputs(failing, 90, 60_000);
    await expect(kept.definitions()).rejects.toThrow('store away');
    fail = false;
    await expect(kept.definitions()).resolves.toEqual([]);
  });

  it('with no segment, evaluates nothing; a kept definition list follows a save once told', async () => {
    const { store, take } = counted(test.store);
    const evaluator = new StreamingSegments({
      store,
      lapsedAfterDays: 90,
      record: async () => {},
      logger,
      clock: () => NOW,
      inputsMaxAgeMs: 60_000,
    });
    const rows = [
      storedEvent({ type: 'purchase', customerId: 'ada', daysAgo: 3, amount: 20 }),
      storedEvent({ type: 'page_view', customerId: 'bob', daysAgo: 1 }),
    ];
    await insertRows(test.store, 'events', rows);
    evaluator.touched(['c:ada', 'c:bob']);
    await evaluator.idle();
    // The definitions and the latest job runs: no profile looked up, no membership read.
    expect(take()).toHaveLength(2);

    await define(test.store, 'buyers', { type: 'event', event: 'purchase' });
    evaluator.touched(['c:ada']);
    await evaluator.idle();
    expect(take()).toHaveLength(0);
    expect(await openMembers(test.store, 'buyers')).toEqual([]);

    evaluator.definitionsChanged();
    evaluator.touched(['c:ada', 'c:bob']);
    await evaluator.idle();
    expect(await openMembers(test.store, 'buyers')).toEqual(['c:ada']);
    await evaluator.close();
  });
});
