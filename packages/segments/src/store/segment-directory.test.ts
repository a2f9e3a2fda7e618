import type { ProfileSegment } from '@rapport/schemas';
import { insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDefinition } from './definitions.js';
import { SegmentDirectory } from './segment-directory.js';

// The names and times a cached profile's segments are shown with, read at once when in memory.

let test: TestStore;
const SAVED = Date.UTC(2024, 11, 1);
const EVALUATED = Date.UTC(2024, 11, 2);

const membership = (id: string): ProfileSegment => ({
  id,
  name: '',
  since: '2024-12-01T00:00:00.000Z',
  version: 1,
  computedAt: '',
});

const definition = (id: string, name: string, version = 1, deleted = false) => ({
  id,
  version,
  name,
  description: '',
  rule: '{}',
  deleted,
  createdAt: SAVED,
  updatedAt: SAVED + version,
});

beforeAll(async () => {
  test = await openTestStore();
  await insertDefinition(test.store, definition('vip', 'VIP'));
  await insertDefinition(test.store, definition('gone', 'Gone'));
  await insertDefinition(test.store, definition('gone', 'Gone', 2, true));
  await insertDefinition(test.store, definition('new', 'Not evaluated yet'));
  await insertRows(test.store, 'segment_evaluations', [
    ...['vip', 'gone'].map((segment_id) => ({
      segment_id,
      run_id: 'run-1',
      version: 1,
      evaluated_at: EVALUATED,
      members: 1,
      entered: 1,
      exited: 0,
      seconds: 0,
    })),
  ]);
});
afterAll(async () => {
  await test.dispose();
});

describe('SegmentDirectory', () => {
  it('names segments at once once it has read them, and not before or after an invalidation', async () => {
    const directory = new SegmentDirectory(test.store, 60_000);
    const segments = ['gone', 'new', 'vip'].map(membership);
    expect(directory.describeNow(segments)).toBeUndefined();
    const described = await directory.describe(segments);
    // Deleted and unevaluated segments are left out.
    expect(described).toEqual([
      { ...membership('vip'), name: 'VIP', computedAt: new Date(EVALUATED).toISOString() },
    ]);
    expect(directory.describeNow(segments)).toEqual(described);
    directory.invalidate();
    expect(directory.describeNow(segments)).toBeUndefined();
  });

  it('reads the names again once they are older than its time to live', async () => {
    const directory = new SegmentDirectory(test.store, 0);
    await directory.describe([membership('vip')]);
    expect(directory.describeNow([membership('vip')])).toBeUndefined();
  });
});
