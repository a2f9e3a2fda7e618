import { openTestStore, type TestStore } from '@rapport/store/testing';
import type { Store } from '@rapport/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erasureTargets } from './erasure-targets.js';

let test: TestStore;

beforeAll(async () => {
  test = await openTestStore();
});

afterAll(async () => {
  await test?.dispose();
});

describe('erasureTargets', () => {
  it('finds every table holding customers’ rows from its columns, its own tables apart', async () => {
    const targets = await erasureTargets(test.store);
    const tables = targets.map((target) => target.table);
    for (const table of [
      'events',
      'identity_links',
      'customer_stats',
      'customer_traits',
      'trait_index',
      'rfm_scores',
      'clv_scores',
      'clv_summaries',
      'profile_features',
      'segment_results',
      'segment_membership',
      'cluster_assignments',
      'report_daily',
      'report_keys',
      'report_touches',
      'report_types',
    ]) {
      expect(tables).toContain(table);
    }
    for (const table of ['erasures', 'suppressed_keys', 'audit_log', 'event_journal', 'job_runs']) {
      expect(tables).not.toContain(table);
    }
    const events = targets.find((target) => target.table === 'events');
    expect(events?.mutate).toBe('events');
    expect(events?.where).toContain('customer_key IN {keys:Array(String)}');
    // Deletes name keys by hash only: no clear-id parameter in their condition.
    for (const target of targets)
      expect(target.hashedWhere).not.toMatch(/\{(keys|customerId|anonymousIds):/);
  });

  it('on a cluster, deletes from each shard’s replicated table ON CLUSTER and reads the distributed one', async () => {
    // The columns a cluster's system tables show: the distributed table and its local table.
    const cluster: Store = {
      ...test.store,
      mode: 'http',
      database: 'rapport',
      cluster: 'main',
      query: async <T>() =>
        [
          { table: 'events', engine: 'Distributed', column: 'customer_key' },
          { table: 'events_local', engine: 'ReplicatedMergeTree', column: 'customer_key' },
        ] as T[],
    };
    expect(await erasureTargets(cluster)).toEqual([
      expect.objectContaining({ table: 'events', mutate: 'rapport.events_local ON CLUSTER main' }),
    ]);
  });
});
