import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from './store.js';
import { openTestStore, type TestStore } from './testing.js';

// Migration 0029: a year of the event log idle for an hour is merged into one part.

let test: TestStore;
let store: Store;

beforeAll(async () => {
  test = await openTestStore({ database: 'settled' });
  store = test.store;
});

afterAll(async () => {
  await test?.dispose();
});

describe('migration 0029: settled years of the event log', () => {
  it('asks the store to merge a year idle for an hour into one part', async () => {
    const [table] = await store.query<{ engine_full: string }>(
      "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'events'",
    );
    expect(table?.engine_full).toContain('min_age_to_force_merge_seconds = 3600');
    expect(table?.engine_full).toContain('min_age_to_force_merge_on_partition_only = 1');
  });
});
