import type { SegmentRule } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { eventRow, insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { JobRunner } from '../job-runner.js';
import type { RunRecord } from '../job.js';
import { Scheduler } from '../scheduler.js';
import { defineSegment } from '../testing/segment-definitions.js';
import { segmentsRunner } from '../testing/segments-runner.js';
import { createSegmentsJob } from './segments-job.js';
import { SavedSegmentRuns } from './saved-segment-runs.js';

const logger = pino({ level: 'silent' });
let test: TestStore;
let store: Store;
let runner: JobRunner;
const finished: RunRecord[] = [];
let watch: SavedSegmentRuns | undefined;

const define = (id: string, version: number, rule: SegmentRule | null) =>
  defineSegment(store, id, version, rule);

const plan = (value: string): SegmentRule => ({
  type: 'field',
  field: 'traits.plan',
  op: 'eq',
  value,
});

async function openMembers(segmentId: string): Promise<string[]> {
  const rows = await store.query<{ profile_key: string }>(
    `SELECT profile_key FROM segment_membership FINAL
     WHERE segment_id = {segmentId:String} AND exited_at IS NULL ORDER BY profile_key`,
    { segmentId },
  );
  return rows.map((row) => row.profile_key);
}

/** The runs that ended since `from` (an index into `finished`). */
const runsSince = (from: number) => finished.slice(from);

/** Waits `ms` (for a look to start a run), then for no segments run to be going. */
async function quiet(ms = 600) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  await vi.waitFor(
    async () => {
      const [last] = await runner.runs.list({ job: 'segments', limit: 1 });
      expect(last?.status).not.toBe('running');
    },
    { timeout: 10_000 },
  );
}

beforeAll(async () => {
  test = await openTestStore();
  store = test.store;
  runner = new JobRunner({
    store,
    logger,
    jobs: [createSegmentsJob({ lapsedAfterDays: 90, notify: async () => {} })],
    onFinished: (run) => finished.push(run),
  });
  await insertRows(store, 'events', [
    eventRow({
      type: 'identify',
      customerId: 'ada',
      at: Date.now() - 2_000,
      properties: { traits: { plan: 'gold' } },
    }),
    eventRow({
      type: 'identify',
      customerId: 'bob',
      at: Date.now() - 1_000,
      properties: { traits: { plan: 'silver' } },
    }),
  ]);
});
afterEach(async () => {
  await watch?.close();
  watch = undefined;
});
afterAll(() => test.dispose());

describe('runs for saved segments', () => {
  it('runs the segments job for a saved segment soon after, restricted to it, once', async () => {
    await define('gold', 1, plan('gold'));
    await define('silver', 1, plan('silver'));
    // Both evaluated by a run of every segment, as the schedule makes.
    await (
      await runner.start('segments', {}, 'schedule')
    ).finished;
    watch = new SavedSegmentRuns({ runner, store, logger, everyMs: 60_000, settleMs: 50 });
    watch.start();
    await quiet();
    const from = finished.length;
    expect(runsSince(from)).toEqual([]);

    await define('gold', 2, plan('silver'));
    watch.saved();
    await vi.waitFor(() => expect(runsSince(from)).toHaveLength(1), { timeout: 10_000 });
    expect(runsSince(from)[0]).toMatchObject({
      status: 'succeeded',
      trigger: 'segment-saved',
      params: { segments: ['gold'] },
    });
    expect(Object.keys(runsSince(from)[0]?.summary.segments as object)).toEqual(['gold']);
    expect(await openMembers('gold')).toEqual(['c:bob']);
    // Nothing more is owed: told again, it starts no run.
    watch.saved();
    await quiet();
    expect(runsSince(from)).toHaveLength(1);
  });

  it('makes one run of a few saves in a row, with the segments referring to them', async () => {
    // The saves all come within the settling time after the first.
    watch = new SavedSegmentRuns({ runner, store, logger, everyMs: 60_000, settleMs: 2_000 });
    watch.start();
    await quiet();
    const from = finished.length;
    await define('bronze', 1, plan('bronze'));
    watch.saved();
    await define('gold-or-silver', 1, {
      type: 'or',
      rules: [
        { type: 'segment', segmentId: 'gold' },
        { type: 'segment', segmentId: 'silver' },
      ],
    });
    watch.saved();
    await define('silver', 2, plan('gold'));
    watch.saved();
    await vi.waitFor(() => expect(runsSince(from)).toHaveLength(1), { timeout: 10_000 });
    await quiet();
    expect(runsSince(from)).toHaveLength(1);
    const [run] = runsSince(from);
    expect((run?.params.segments as string[]).sort()).toEqual([
      'bronze',
      'gold-or-silver',
      'silver',
    ]);
    expect(Object.keys(run?.summary.segments as object).sort()).toEqual([
      'bronze',
      'gold-or-silver',
      'silver',
    ]);
    expect(await openMembers('silver')).toEqual(['c:ada']);
    expect(await openMembers('gold-or-silver')).toEqual(['c:ada', 'c:bob']);
  });

  it('finds saves by looking at the store, waits for a run going, and lets a deleted segment’s members out', async () => {
    watch = new SavedSegmentRuns({ runner, store, logger, everyMs: 200, settleMs: 50 });
    watch.start();
    await quiet();
    const from = finished.length;
    // Saved while a run goes: the watch waits for it, then runs the new segment.
    const going = await runner.start('segments', { segments: ['gold'] }, 'api');
    await define('copper', 1, plan('copper'));
    await going.finished;
    await vi.waitFor(() => expect(runsSince(from)).toHaveLength(2), { timeout: 10_000 });
    expect(runsSince(from).map((run) => [run.trigger, run.params.segments])).toEqual([
      ['api', ['gold']],
      ['segment-saved', ['copper']],
    ]);
    // A deleted segment without members is owed nothing; one with members is run once more.
    await define('bronze', 2, null);
    await define('gold', 3, null);
    await vi.waitFor(() => expect(runsSince(from)).toHaveLength(3), { timeout: 10_000 });
    await quiet();
    expect(runsSince(from)).toHaveLength(3);
    expect(runsSince(from)[2]?.params).toEqual({ segments: ['gold'] });
    expect(await openMembers('gold')).toEqual([]);
  });

  it('runs a version its run could not evaluate only once', async () => {
    const from = finished.length;
    // Both saved before it looks: one run finds the two in a cycle.
    await define('loop-a', 1, { type: 'segment', segmentId: 'loop-b' });
    await define('loop-b', 1, { type: 'segment', segmentId: 'loop-a' });
    watch = new SavedSegmentRuns({ runner, store, logger, everyMs: 100, settleMs: 50 });
    watch.start();
    await vi.waitFor(() => expect(runsSince(from)).toHaveLength(1), { timeout: 10_000 });
    expect(runsSince(from)[0]?.summary).toMatchObject({ partial: true });
    await quiet(1_000);
    expect(runsSince(from)).toHaveLength(1);
  });

  it('runs again a version whose run ended failed after evaluating it', async () => {
    // A run cut short in its reconcile step (a stop cancelled it): the evaluation is recorded,
    // its entries are not in membership.
    const stopped = segmentsRunner(store, logger, {
      reconcile: () => Promise.reject(new Error('cancelled by a stop')),
    });
    await define('tin', 1, plan('gold'));
    const cut = await (await stopped.start('segments', { segments: ['tin'] }, 'schedule')).finished;
    expect(cut).toMatchObject({ status: 'failed', error: 'cancelled by a stop' });
    expect(await openMembers('tin')).toEqual([]);

    const from = finished.length;
    watch = new SavedSegmentRuns({ runner, store, logger, everyMs: 60_000, settleMs: 50 });
    watch.start();
    await vi.waitFor(() => expect(runsSince(from)).toHaveLength(1), { timeout: 10_000 });
    // (With the cycle of the test before, which a new watch tries once more.)
    expect(runsSince(from)[0]).toMatchObject({
      status: 'succeeded',
      params: { segments: expect.arrayContaining(['tin']) as unknown },
    });
    expect(await openMembers('tin')).toEqual(['c:ada']);
    // Its entry is the segment's first into membership, not a correction of streaming's.
    expect(runsSince(from)[0]?.summary.corrections).toMatchObject({ total: 0 });
  });

  it('is the scheduler’s while the segments job is scheduled, and stops with it', async () => {
    const off = new Scheduler(runner, {}, logger, { store, everyMs: 50 });
    const on = new Scheduler(runner, { segments: '0 * * * *' }, logger, { store, everyMs: 50 });
    off.start();
    on.start();
    const from = finished.length;
    await define('platinum', 1, plan('platinum'));
    off.segmentSaved();
    on.segmentSaved();
    await vi.waitFor(() => expect(runsSince(from)).toHaveLength(1), { timeout: 10_000 });
    await on.stop();
    await off.stop();
    await define('platinum', 2, plan('gold'));
    await quiet(500);
    expect(runsSince(from)).toHaveLength(1);
  });
});
