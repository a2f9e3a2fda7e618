import { LatestRuns } from '@rapport/runs';
import type { Store } from '@rapport/store';
import { eventRow, insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProfileRows } from './profile-rows.js';

let test: TestStore;

beforeAll(async () => {
  test = await openTestStore();
  await insertRows(test.store, 'events', [
    eventRow({ type: 'page_view', customerId: 'ada', at: Date.UTC(2024, 5, 1) }),
  ]);
});
afterAll(() => test.dispose());

/**
 * The store, with the rebuild's first statement replaced by one of minutes that carries the
 * same mark (as a rebuild at a few million people would take), counted when it ends.
 */
function slowRebuilds(store: Store) {
  const ended: string[] = [];
  const slow = `/* rapport:profile-rows-rebuild */ CREATE TABLE IF NOT EXISTS slow_rebuild ENGINE = Memory
    AS SELECT count() AS n FROM numbers(100000000000) WHERE sipHash64(number) % 7 = 3
    SETTINGS max_threads = 1`;
  const watching = new Proxy(store, {
    get(target, name, receiver) {
      if (name !== 'command') return Reflect.get(target, name, receiver) as unknown;
      return async (...args: Parameters<Store['command']>) => {
        const [sql, params, lane] = args;
        const rebuild = sql.includes('rapport:profile-rows-rebuild') && sql.includes('INSERT');
        try {
          return await target.command(rebuild ? slow : sql, rebuild ? {} : params, lane);
        } finally {
          if (rebuild) ended.push(performance.now().toFixed(0));
        }
      };
    },
  });
  return { watching, ended };
}

describe('ProfileRows.close', () => {
  it('cancels a rebuild under way rather than waiting for it', async () => {
    const { watching, ended } = slowRebuilds(test.store);
    const rows = new ProfileRows(watching, { latest: new LatestRuns(test.store, 0) });
    const rebuilt = rows.rebuild();
    // The statement is running when the close comes.
    await expect
      .poll(async () => {
        const running = await test.store.query<{ n: number }>(
          `SELECT count() AS n FROM system.processes
           WHERE position(query, 'slow_rebuild') > 0 AND position(query, 'system.processes') = 0`,
        );
        return Number(running[0]?.n);
      })
      .toBe(1);
    const closing = performance.now();
    await rows.close();
    await rebuilt;
    expect(performance.now() - closing).toBeLessThan(5_000);
    expect(ended).toHaveLength(1);
    const left = await test.store.query<{ n: number }>(
      `SELECT count() AS n FROM system.processes WHERE position(query, 'slow_rebuild') > 0
         AND position(query, 'system.processes') = 0`,
    );
    expect(Number(left[0]?.n)).toBe(0);
  });
});
