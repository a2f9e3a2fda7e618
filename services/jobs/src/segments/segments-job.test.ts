import type { SegmentChange, SegmentRule } from '@rapport/schemas';
import { StoreError, type Store } from '@rapport/store';
import { eventRow, insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { pino } from 'pino';
import { StreamingSegments } from '@rapport/segments';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRunner } from '../job-runner.js';
import { defineSegment } from '../testing/segment-definitions.js';
import { segmentsRunner } from '../testing/segments-runner.js';
import type { SegmentsJobOptions } from './segments-job.js';

const logger = pino({ level: 'silent' });
let test: TestStore;
let store: Store;
let runner: JobRunner;
const changes: SegmentChange[][] = [];
let eventNo = 0;
function identify(customerId: string, traits: Record<string, unknown>) {
  eventNo++;
  return eventRow({
    type: 'identify',
    customerId,
    at: Date.now() - 1000 + eventNo,
    properties: { traits },
  });
}

const define = (id: string, version: number, rule: SegmentRule | null) =>
  defineSegment(store, id, version, rule);

async function run(params: Record<string, unknown> = {}) {
  const { finished } = await runner.start('segments', params, 'cli');
  const record = await finished;
  expect(record.error).toBeNull();
  return record;
}

async function intervals(segmentId: string) {
  const rows = await store.query<{
    profile_key: string;
    entered_run: string;
    exited_run: string;
    version: number;
    open: number;
  }>(
    `SELECT profile_key, entered_run, exited_run, version, exited_at IS NULL AS open
     FROM segment_membership FINAL WHERE segment_id = {segmentId:String}
     ORDER BY profile_key, entered_at`,
    { segmentId },
  );
  return rows.map((row) => ({ ...row, version: Number(row.version), open: Number(row.open) }));
}

const flat = () =>
  changes.flat().map((change) => `${change.segmentId}:${change.change}:${change.customerId}`);

beforeAll(async () => {
  test = await openTestStore();
  store = test.store;
  runner = segmentsRunner(store, logger, {
    notify: async (page) => {
      changes.push([...page]);
    },
  });
});
afterAll(() => test.dispose());

const gold: SegmentRule = { type: 'field', field: 'traits.plan', op: 'eq', value: 'gold' };

describe('segments job', () => {
  const runs: string[] = [];

  it('computes no profile fields while no segment is defined', async () => {
    await insertRows(store, 'events', [identify('zed', { plan: 'bronze' })]);
    const record = await run();
    expect(record.summary).toMatchObject({ profiles: 0, segments: {}, skipped: [] });
    const [row] = await store.query<{ n: number }>('SELECT count() AS n FROM profile_features');
    expect(Number(row?.n)).toBe(0);
  });

  it('opens an interval for each profile that matches on the first run', async () => {
    await insertRows(store, 'events', [
      identify('ada', { plan: 'gold' }),
      identify('bob', { plan: 'silver' }),
      identify('cy', { plan: 'gold', vip: true }),
    ]);
    await define('gold', 1, gold);
    await define('gold-vip', 1, {
      type: 'and',
      rules: [
        { type: 'segment', segmentId: 'gold' },
        { type: 'field', field: 'traits.vip', op: 'eq', value: true },
      ],
    });
    const record = await run();
    runs.push(record.runId);
    expect(record.summary).toMatchObject({
      profiles: 4,
      snapshot: { computed: 4, copiedFrom: null },
      segments: {
        gold: { version: 1, members: 2, entered: 2, exited: 0 },
        'gold-vip': { version: 1, members: 1, entered: 1, exited: 0 },
      },
      skipped: [],
    });
    expect(flat()).toEqual(['gold:entered:ada', 'gold:entered:cy', 'gold-vip:entered:cy']);
    expect(changes[0]?.[0]).toMatchObject({
      id: `${record.runId}:gold:c:ada`,
      segmentName: 'Segment gold',
      version: 1,
      anonymousId: null,
      runId: record.runId,
    });
  });

  it('closes the interval of a profile that left and notifies the exit', async () => {
    changes.length = 0;
    await insertRows(store, 'events', [identify('ada', { plan: 'silver' })]);
    const record = await run();
    runs.push(record.runId);
    // Only ada changed: the other profiles' fields are copied from the first run's snapshot.
    expect(record.summary).toMatchObject({
      profiles: 4,
      snapshot: { computed: 1, copiedFrom: runs[0] },
    });
    expect(flat()).toEqual(['gold:exited:ada']);
    expect(await intervals('gold')).toEqual([
      { profile_key: 'c:ada', entered_run: runs[0], exited_run: runs[1], version: 1, open: 0 },
      { profile_key: 'c:cy', entered_run: runs[0], exited_run: '', version: 1, open: 1 },
    ]);
  });

  it('opens a new interval when the profile comes back, under the current version', async () => {
    changes.length = 0;
    await insertRows(store, 'events', [
      identify('ada', { plan: 'gold' }),
      identify('bob', { plan: 'gold' }),
    ]);
    await define('gold', 2, { type: 'or', rules: [gold] });
    const record = await run();
    runs.push(record.runId);
    expect(flat()).toEqual(['gold:entered:ada', 'gold:entered:bob']);
    expect(await intervals('gold')).toEqual([
      { profile_key: 'c:ada', entered_run: runs[0], exited_run: runs[1], version: 1, open: 0 },
      { profile_key: 'c:ada', entered_run: runs[2], exited_run: '', version: 2, open: 1 },
      { profile_key: 'c:bob', entered_run: runs[2], exited_run: '', version: 2, open: 1 },
      { profile_key: 'c:cy', entered_run: runs[0], exited_run: '', version: 1, open: 1 },
    ]);
  });

  it('closes every interval of a deleted segment once, then leaves it alone', async () => {
    changes.length = 0;
    await define('gold-vip', 2, null);
    const record = await run();
    runs.push(record.runId);
    expect(flat()).toEqual(['gold-vip:exited:cy']);
    expect(await intervals('gold-vip')).toMatchObject([{ profile_key: 'c:cy', open: 0 }]);
    changes.length = 0;
    const next = await run();
    runs.push(next.runId);
    expect(flat()).toEqual([]);
    expect(next.summary).toMatchObject({ segments: { gold: { entered: 0, exited: 0 } } });
    expect(Object.keys(next.summary.segments as object)).toEqual(['gold']);
  });

  it('keeps only the partitions still read: the latest two evaluations, for members cursors', async () => {
    const features = await store.query<{ run_id: string }>(
      'SELECT DISTINCT run_id FROM profile_features ORDER BY run_id',
    );
    expect(features.map((row) => row.run_id).sort()).toEqual(runs.slice(-2).sort());
    const results = await store.query<{ run_id: string }>(
      'SELECT DISTINCT run_id FROM segment_results',
    );
    expect(results.map((row) => row.run_id).sort()).toEqual(runs.slice(-2).sort());
  });

  it('compares with the membership intervals: a run that stopped before recording its evaluation changes nothing twice', async () => {
    // As if the last two runs had died after writing their intervals: their evaluations are
    // missing, but the next run compares with the open intervals, which are right.
    await store.command('DELETE FROM segment_evaluations WHERE run_id IN {last:Array(String)}', {
      last: runs.slice(-2),
    });
    changes.length = 0;
    const record = await run();
    runs.push(record.runId);
    expect(flat()).toEqual([]);
    expect(record.summary).toMatchObject({ segments: { gold: { members: 3, entered: 0 } } });
    const open = (await intervals('gold')).filter((interval) => interval.open === 1);
    expect(open.map((interval) => interval.profile_key)).toEqual(['c:ada', 'c:bob', 'c:cy']);
  });

  it('skips a segment whose rule refers to a segment in a cycle, and says why', async () => {
    await define('loop-a', 1, { type: 'segment', segmentId: 'loop-b' });
    await define('loop-b', 1, { type: 'segment', segmentId: 'loop-a' });
    const record = await run();
    const skipped = record.summary.skipped as { id: string; reason: string }[];
    expect(skipped.map((entry) => entry.id).sort()).toEqual(['loop-a', 'loop-b']);
    expect(skipped.map((entry) => entry.reason).join(' ')).toMatch(/refers back to itself/);
    expect(record.summary.segments).toHaveProperty('gold');
  });

  it('skips a segment whose evaluation fails, records why, and evaluates the rest', async () => {
    await define('doomed', 1, gold);
    await define('doomed-fan', 1, { type: 'segment', segmentId: 'doomed' });
    // A segment whose query the store refuses, as a syntax error past max_query_size did.
    const failing = new Proxy(store, {
      get(target, name, receiver) {
        if (name === 'command') {
          return (sql: string, params?: Record<string, unknown>) =>
            params?.segmentId === 'doomed' && sql.includes('INSERT INTO segment_results')
              ? Promise.reject(new StoreError('rejected', 'command failed: Syntax error'))
              : target.command(sql, params);
        }
        const value: unknown = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
    const faulty = segmentsRunner(failing, logger);
    const record = await (await faulty.start('segments', {}, 'cli')).finished;
    expect(record.status).toBe('succeeded');
    expect(record.summary).toMatchObject({
      partial: true,
      skipped: expect.arrayContaining([
        { id: 'doomed', reason: expect.stringMatching(/evaluation failed: .*Syntax error/) },
      ]),
      segments: { gold: { members: 3 }, 'doomed-fan': { members: 0 } },
    });
    expect(record.summary.segments).not.toHaveProperty('doomed');
    const [stamped] = await store.query<{ n: number }>(
      "SELECT count() AS n FROM segment_evaluations WHERE segment_id = 'doomed'",
    );
    expect(Number(stamped?.n)).toBe(0);

    // Fixed, the next run evaluates it.
    const next = await run();
    expect(next.summary.segments).toHaveProperty('doomed', expect.objectContaining({ members: 3 }));
  });

  it('skips a stored rule the store cannot run, saved before the checks at save time', async () => {
    await define('huge-number', 1, { type: 'field', field: 'revenue', op: 'gt', value: 1e20 });
    const wide: SegmentRule = {
      type: 'or',
      rules: Array.from({ length: 4 }, () => ({
        type: 'or' as const,
        rules: Array.from({ length: 48 }, () => ({
          type: 'event' as const,
          event: 'purchase' as const,
          where: Array.from({ length: 6 }, () => ({
            field: 'properties.items.price',
            op: 'between' as const,
            value: [1, 2],
          })),
        })),
      })),
    };
    await define('too-wide', 1, wide);
    const record = await run();
    expect(record.status).toBe('succeeded');
    const skipped = record.summary.skipped as { id: string; reason: string }[];
    expect(skipped).toEqual(
      expect.arrayContaining([
        { id: 'huge-number', reason: expect.stringMatching(/out of range/) },
        { id: 'too-wide', reason: expect.stringMatching(/too large for the store.*262,144/) },
      ]),
    );
    expect(record.summary.segments).toHaveProperty('gold');
  });

  it('as the reconciler of streaming evaluation: counts, logs and measures what it corrects', async () => {
    const lines: { msg: string; segment?: string; profile?: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
        done();
      },
    });
    const counted: { segment: string; change: string; n: number }[] = [];
    const published: SegmentChange[] = [];
    const evaluator = new StreamingSegments({
      store,
      lapsedAfterDays: 90,
      logger,
      record: async (page) => {
        published.push(...page);
      },
    });
    const reconciler = segmentsRunner(store, pino({ level: 'warn' }, sink), {
      reconcile: (keys, options) => evaluator.evaluate(keys, options),
      metrics: {
        segmentReconcileCorrections: {
          inc: (labels, n) => counted.push({ ...labels, n }),
        },
      },
    });
    const reconcile = async () => (await reconciler.start('segments', {}, 'cli')).finished;
    // Nothing to correct: membership is what the rules say.
    const clean = await reconcile();
    expect(clean.error).toBeNull();
    expect(clean.summary).toMatchObject({ corrections: { total: 0, segments: {} } });
    // Dee turns gold and no streaming evaluation hears of it: the reconciler corrects it.
    await insertRows(store, 'events', [identify('dee', { plan: 'gold' })]);
    const record = await reconcile();
    expect(record.error).toBeNull();
    // doomed has gold's rule, and doomed-fan refers to doomed: she enters all three.
    const entered = { entered: 1, exited: 0 };
    expect(record.summary).toMatchObject({
      corrections: {
        total: 3,
        segments: { gold: entered, doomed: entered, 'doomed-fan': entered },
      },
      segments: { gold: entered },
    });
    // In evaluation order: doomed-fan after the segment it refers to.
    const order = published.map((c) => `${c.segmentId}:${c.change}:${c.customerId}`);
    expect([...order].sort()).toEqual([
      'doomed-fan:entered:dee',
      'doomed:entered:dee',
      'gold:entered:dee',
    ]);
    expect(order.indexOf('doomed:entered:dee')).toBeLessThan(
      order.indexOf('doomed-fan:entered:dee'),
    );
    expect(published.find((c) => c.segmentId === 'gold')?.id).toBe(`${record.runId}:gold:c:dee`);
    expect(counted).toContainEqual({ segment: 'gold', change: 'entered', n: 1 });
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'segment membership corrected by the reconciler',
        segment: 'gold',
        profile: 'c:dee',
      }),
    );
    expect(
      (await intervals('gold')).filter((i) => i.open === 1).map((i) => i.profile_key),
    ).toContain('c:dee');
    expect(record.summary).toMatchObject({ corrections: { doubledStays: 0 } });

    // Two processes let dee in at once (distributed mode, while partitions move): a second
    // open stay. Membership is right, so nothing is corrected, but the run shows it. It is
    // entered a millisecond before the first: a stay entered at the same time would be the
    // same stay.
    const [first] = await store.query<{ entered: number }>(
      `SELECT toUnixTimestamp64Milli(entered_at) AS entered FROM segment_membership FINAL
       WHERE segment_id = 'gold' AND profile_key = 'c:dee' AND exited_at IS NULL`,
    );
    const enteredAt = Number(first?.entered) - 1;
    await insertRows(store, 'segment_membership', [
      {
        profile_key: 'c:dee',
        segment_id: 'gold',
        entered_at: enteredAt,
        exited_at: null,
        version: 1,
        exited_version: null,
        entered_run: 'stream-pipeline-b-1',
        exited_run: '',
        updated_at: enteredAt,
      },
    ]);
    const doubled = await reconcile();
    expect(doubled.summary).toMatchObject({ corrections: { total: 0, doubledStays: 1 } });
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'segment membership has more than one open stay: the profile was let in twice',
        segment: 'gold',
        profile: 'c:dee',
      }),
    );
  });

  it('as the reconciler: what a run cut short in its reconcile left to enter is no correction', async () => {
    const counted: { segment: string; change: string; n: number }[] = [];
    const evaluator = new StreamingSegments({
      store,
      lapsedAfterDays: 90,
      logger,
      record: async () => {},
    });
    const segmentsJob = (reconcile: SegmentsJobOptions['reconcile']) =>
      segmentsRunner(store, logger, {
        reconcile,
        metrics: {
          segmentReconcileCorrections: {
            inc: (labels, n) => counted.push({ ...labels, n }),
          },
        },
      });
    await define('gilded', 1, gold);
    // A stop cancels the run in its reconcile step: the evaluation is recorded, the entries
    // are not in membership.
    const cut = segmentsJob(() => Promise.reject(new Error('cancelled by a stop')));
    const stopped = await (await cut.start('segments', { segments: ['gilded'] }, 'cli')).finished;
    expect(stopped).toMatchObject({ status: 'failed', error: 'cancelled by a stop' });
    expect(await intervals('gilded')).toEqual([]);

    const next = segmentsJob((keys, options) => evaluator.evaluate(keys, options));
    const record = await (await next.start('segments', {}, 'cli')).finished;
    expect(record.error).toBeNull();
    const members = (record.summary.segments as Record<string, { entered: number }>).gilded;
    expect(members?.entered).toBeGreaterThan(0);
    expect(record.summary).toMatchObject({ corrections: { total: 0, segments: {} } });
    expect(counted).toEqual([]);
  });

  it('closes the stays streaming evaluation opened in a segment deleted before any run saw it', async () => {
    await define('fleeting', 1, gold);
    const evaluator = new StreamingSegments({
      store,
      lapsedAfterDays: 90,
      logger,
      record: async () => {},
    });
    await evaluator.evaluate(['c:ada', 'c:bob']);
    expect((await intervals('fleeting')).filter((i) => i.open === 1).length).toBeGreaterThan(0);
    await define('fleeting', 2, null);
    changes.length = 0;
    await run();
    expect((await intervals('fleeting')).filter((i) => i.open === 1)).toEqual([]);
    expect(flat().filter((change) => change.startsWith('fleeting:'))).not.toEqual([]);
  });

  it('evaluates only the segments named, with those referring to them, when asked', async () => {
    await define('silver', 1, { type: 'field', field: 'traits.plan', op: 'eq', value: 'silver' });
    await define('silver-or-gold', 1, {
      type: 'or',
      rules: [
        { type: 'segment', segmentId: 'silver' },
        { type: 'segment', segmentId: 'gold' },
      ],
    });
    await define('plain', 1, { type: 'field', field: 'traits.plan', op: 'eq', value: 'bronze' });
    await insertRows(store, 'events', [identify('eve', { plan: 'silver' })]);
    changes.length = 0;
    const record = await run({ segments: ['silver'] });
    expect(record.params).toEqual({ segments: ['silver'] });
    expect(Object.keys(record.summary.segments as object).sort()).toEqual([
      'silver',
      'silver-or-gold',
    ]);
    expect(record.summary).toMatchObject({ skipped: [], partial: false });
    expect(flat()).toContain('silver:entered:eve');
    expect(flat()).toContain('silver-or-gold:entered:eve');
    expect(flat().some((change) => change.startsWith('plain:'))).toBe(false);
    expect(await intervals('plain')).toEqual([]);
    // The others keep their latest evaluation, and a run of every segment reaches them.
    const whole = await run();
    expect(whole.summary.segments).toHaveProperty('plain');
    expect(whole.summary.segments).toHaveProperty('gold');
  });

  it('fails a run asked for a segment that does not exist, naming it, and refuses bad parameters', async () => {
    const { finished } = await runner.start('segments', { segments: ['nope', 'gold'] }, 'cli');
    const record = await finished;
    expect(record.status).toBe('failed');
    expect(record.error).toMatch(/no segment "nope" to evaluate/);
    await expect(runner.start('segments', { segments: [] }, 'cli')).rejects.toThrow(/segments/);
    await expect(runner.start('segments', { segments: 'gold,' }, 'cli')).rejects.toThrow(
      /segments\.1/,
    );
    const listed = await runner.start('segments', { segments: 'gold, silver' }, 'cli');
    expect((await listed.finished).params).toEqual({ segments: ['gold', 'silver'] });
    await expect(runner.start('segments', { segment: ['gold'] }, 'cli')).rejects.toThrow(/segment/);
  });
});
