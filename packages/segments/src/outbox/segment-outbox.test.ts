import type { SegmentChange } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_INTERVALS_SQL, OPEN_INTERVALS_SQL } from '../streaming/membership-sql.js';
import { OutboxDispatcher, type Outlet } from './outbox-dispatcher.js';
import { SegmentOutbox } from './segment-outbox.js';

const logger = pino({ level: 'silent' });
let test: TestStore;
let store: Store;

const change = (n: number, customerId = `c${n}`): SegmentChange => ({
  id: `run-1:vip:c:${customerId}`,
  segmentId: 'vip',
  segmentName: 'VIP',
  version: 1,
  change: 'entered',
  customerId,
  anonymousId: null,
  at: '2026-01-01T00:00:00.000Z',
  runId: 'run-1',
});

/** The store, counting page reads of the outbox and failing the next insert after it wrote. */
function watched(target: Store) {
  const counts = { pageReads: 0, failNextInsert: false };
  // An append is an insert of rows or, for a few changes, a statement: either may fail so.
  const afterInsert = () => {
    if (counts.failNextInsert) {
      counts.failNextInsert = false;
      throw new Error('the connection dropped before the answer');
    }
  };
  const wrapped: Store = {
    mode: target.mode,
    database: target.database,
    query: (sql, params, lane) => {
      if (sql.includes('SELECT seq, payload FROM segment_outbox_by_writer')) counts.pageReads++;
      return target.query(sql, params, lane);
    },
    command: async (sql, params, lane) => {
      await target.command(sql, params, lane);
      if (sql.includes('INSERT INTO segment_outbox_by_writer')) afterInsert();
    },
    insertJsonLines: async (table, body, options) => {
      await target.insertJsonLines(table, body, options);
      afterInsert();
    },
    ping: () => target.ping(),
    close: () => target.close(),
  };
  return { store: wrapped, counts };
}

/** An outlet that records what it is given and fails while `failing` says so. */
function outlet(name: string) {
  const got: string[] = [];
  let failing = 0;
  const sink: Outlet & { got: string[]; failNext(n: number): void } = {
    name,
    got,
    failNext(n: number) {
      failing = n;
    },
    publish(changes) {
      if (failing > 0) {
        failing--;
        return Promise.reject(new Error('receiver down'));
      }
      got.push(...changes.map((c) => c.id));
      return Promise.resolve();
    },
  };
  return sink;
}

/** What a dispatcher started now delivers to an outlet of that name until drained. */
async function deliveredOnStart(name: string): Promise<string[]> {
  const sink = outlet(name);
  const dispatcher = new OutboxDispatcher({
    outbox: new SegmentOutbox(store),
    outlets: [sink],
    logger,
  });
  await dispatcher.start();
  await dispatcher.drained();
  await dispatcher.close();
  return sink.got;
}

beforeAll(async () => {
  test = await openTestStore();
  store = test.store;
  await insertRows(store, 'segment_definitions', [
    {
      segment_id: 'vip',
      version: 1,
      name: 'VIP',
      description: '',
      rule: '{"type":"field","field":"orders","op":"gte","value":2}',
      deleted: 0,
      created_at: Date.now(),
    },
  ]);
});
afterAll(() => test.dispose());

describe('segment change outbox', () => {
  it('delivers every change to each outlet in order, retrying a failed page, and resumes at its cursor', async () => {
    const outbox = new SegmentOutbox(store);
    const bus = outlet('bus');
    const hook = outlet('webhook:1');
    // Both outlets exist before anything is recorded: they start at the beginning.
    const first = new OutboxDispatcher({
      outbox,
      outlets: [bus, hook],
      logger,
      pageSize: 3,
      retryMs: { min: 5, max: 20 },
    });
    await first.start();
    hook.failNext(2);
    await outbox.append([1, 2, 3, 4].map((n) => change(n)));
    await outbox.append([5, 6, 7].map((n) => change(n)));
    await first.drained();
    await first.close();
    const ids = [1, 2, 3, 4, 5, 6, 7].map((n) => `run-1:vip:c:c${n}`);
    expect(bus.got).toEqual(ids);
    expect(hook.got).toEqual(ids);

    // As after a restart: a new outbox and dispatcher deliver only what came since.
    await new SegmentOutbox(store).append([change(8)]);
    expect(await deliveredOnStart('bus')).toEqual(['run-1:vip:c:c8']);
  });

  it('counts what an outlet has left while it takes full pages, and none once it took everything', async () => {
    const outbox = new SegmentOutbox(store);
    const pending: number[] = [];
    const metrics = {
      segmentOutboxPending: { set: (_: { outlet: string }, value: number) => pending.push(value) },
      segmentOutboxDeliveries: { inc: () => undefined },
    };
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const got: string[] = [];
    const slow: Outlet = {
      name: 'counted',
      publish: async (changes) => {
        // The second page waits until the test has looked.
        if (got.length > 0) await gate;
        got.push(...changes.map((c) => c.id));
      },
    };
    const dispatcher = new OutboxDispatcher({
      outbox,
      outlets: [slow],
      logger,
      metrics,
      pageSize: 3,
    });
    await dispatcher.start();
    await outbox.append([1, 2, 3, 4, 5, 6, 7].map((n) => change(n, `p${n}`)));
    await expect.poll(() => pending.at(-1), { timeout: 10_000 }).toBe(4);
    release();
    await dispatcher.drained();
    await expect.poll(() => pending.at(-1), { timeout: 10_000 }).toBe(0);
    await dispatcher.close();
    expect(got).toHaveLength(7);
  });

  it('with several writers, delivers each from a cursor of its own, one whose clock is behind too', async () => {
    const now = Date.now();
    // Two pipeline processes; the second one's clock is 10 s behind the first one's.
    const ahead = new SegmentOutbox(store, () => now + 10_000, { writer: 'pipeline-a' });
    const behind = new SegmentOutbox(store, () => now, { writer: 'pipeline-b' });
    const same = new SegmentOutbox(store, () => now, { writer: 'pipeline-c' });
    const dispatcherOf = (sink: Outlet) =>
      new OutboxDispatcher({
        outbox: new SegmentOutbox(store, Date.now, { writer: 'jobs' }),
        outlets: [sink],
        logger,
        pageSize: 2,
        pollMs: 20,
        writers: 'all',
      });
    const hook = outlet('webhook:multi');
    const first = dispatcherOf(hook);
    await first.start();
    await ahead.append([change(20), change(21), change(22)]);
    await first.drained();
    // Recorded after the outlet took seqs past theirs, and two writers under the same seqs.
    await behind.append([change(23), change(24)]);
    await same.append([change(25)]);
    await first.drained();
    await first.close();
    const id = (n: number) => `run-1:vip:c:c${n}`;
    expect(hook.got.slice(0, 3)).toEqual([20, 21, 22].map(id));
    expect([...hook.got].sort()).toEqual([20, 21, 22, 23, 24, 25].map(id).sort());
    // Each writer in its own order.
    expect(hook.got.filter((g) => g === id(23) || g === id(24))).toEqual([id(23), id(24)]);

    // As after a restart of the dispatcher: only what came since, from every writer.
    await behind.append([change(26)]);
    await ahead.append([change(27)]);
    const again = outlet('webhook:multi');
    const second = dispatcherOf(again);
    await second.start();
    await second.drained();
    await second.close();
    expect(again.got).toEqual([26, 27].map(id));
  });

  it('never moves a cursor back when a reader writes its start after the outlet advanced', async () => {
    // A reader finds no cursor for a writer, and writes where it starts only after the
    // dispatcher delivered that writer's changes and advanced (a slow store).
    const dispatcher = new SegmentOutbox(store, Date.now, { writer: 'jobs' });
    await dispatcher.advance('webhook:race', 1);
    let reached = () => {};
    const atGate = new Promise<void>((resolve) => (reached = resolve));
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const gated: Store = {
      ...store,
      query: async (sql, params, lane) => {
        // Its read of the outlet's own cursor, after it found the writer's missing.
        if (sql.includes('segment_outbox_cursors') && params?.outlet === 'webhook:race') {
          reached();
          await gate;
        }
        return store.query(sql, params, lane);
      },
      command: (sql, params, lane) => store.command(sql, params, lane),
    };
    const reader = new SegmentOutbox(gated, Date.now, { writer: 'jobs' });
    const started = reader.writerCursor('webhook:race', 'pipeline-r');
    await atGate;
    const writer = new SegmentOutbox(store, Date.now, { writer: 'pipeline-r' });
    await writer.append([change(40), change(41)]);
    const last = (await writer.page(0, 100, 'pipeline-r')).at(-1)!.seq;
    await dispatcher.advance('webhook:race@pipeline-r', last);
    release();
    expect(await started).toBe(1);
    expect(await dispatcher.writerCursor('webhook:race', 'pipeline-r')).toBe(last);
  });

  it('records at start-up the changes written as intervals but never recorded', async () => {
    const outbox = new SegmentOutbox(store);
    await outbox.append([change(9)]);
    // A process wrote these intervals and stopped before recording them.
    const at = Date.now();
    await store.command(OPEN_INTERVALS_SQL, {
      keys: ['c:lost1', 'c:lost2'],
      segmentId: 'vip',
      version: 1,
      runId: 'stream-x',
      at,
    });
    const restarted = new SegmentOutbox(store);
    expect(await restarted.recover()).toBe(2);
    expect(await restarted.recover()).toBe(0);
    const page = await restarted.page(0, 100);
    expect(page.slice(-2).map((entry) => entry.change)).toEqual([
      {
        id: 'stream-x:vip:c:lost1',
        segmentId: 'vip',
        segmentName: 'VIP',
        version: 1,
        change: 'entered',
        customerId: 'lost1',
        anonymousId: null,
        at: new Date(at).toISOString(),
        runId: 'stream-x',
      },
      expect.objectContaining({ id: 'stream-x:vip:c:lost2' }),
    ]);
    // An exit written and never recorded, under the version it was written with.
    await store.command(CLOSE_INTERVALS_SQL, {
      keys: ['c:lost1'],
      segmentId: 'vip',
      version: 2,
      runId: 'stream-y',
      at: at + 1,
    });
    const again = new SegmentOutbox(store);
    expect(await again.recover()).toBe(1);
    expect((await again.page(0, 100)).at(-1)?.change).toMatchObject({
      id: 'stream-y:vip:c:lost1',
      change: 'exited',
      version: 2,
      at: new Date(at + 1).toISOString(),
    });
  });

  it('appends a run larger than one insert takes, every change once and in order', async () => {
    const writer = 'large-run';
    const outbox = new SegmentOutbox(store, Date.now, { writer });
    const many = Array.from({ length: 20_050 }, (_, i) => change(100_000 + i));
    await outbox.append(many);
    expect(await outbox.pending(0, writer)).toBe(20_050);
    const last = await outbox.page(0, 20_100, writer);
    expect(last.map((entry) => entry.change.id)).toEqual(many.map((c) => c.id));
  }, 60_000);

  it('reads its own recent changes from memory, as the store holds them, and the store after a failed append', async () => {
    const writer = 'tail-test';
    const { store: counted, counts } = watched(store);
    const outbox = new SegmentOutbox(counted, Date.now, { writer, tail: true });
    const fresh = () => new SegmentOutbox(store, Date.now, { writer }).page(0, 100, writer);
    await outbox.append([30, 31, 32].map((n) => change(n)));
    await outbox.append([33].map((n) => change(n)));
    // What a process started afresh reads from the store.
    const stored = await fresh();
    expect(stored.map((entry) => entry.change.id)).toEqual(
      [30, 31, 32, 33].map((n) => `run-1:vip:c:c${n}`),
    );
    const [third, last] = [stored[2]!.seq, stored[3]!.seq];
    expect([
      await outbox.page(0, 3, writer),
      await outbox.page(0, 100, writer),
      await outbox.page(third, 100, writer),
      await outbox.page(last, 100, writer),
    ]).toEqual([stored.slice(0, 3), stored, stored.slice(3), []]);
    expect(counts.pageReads).toBe(0);

    // The insert wrote its rows but failed to say so: they are read from the store, and the
    // changes appended again after them.
    counts.failNextInsert = true;
    await expect(outbox.append([change(34)])).rejects.toThrow('dropped');
    await outbox.append([change(34)]);
    const after = await outbox.page(stored.at(-1)!.seq, 100, writer);
    expect(counts.pageReads).toBe(1);
    expect(after.map((entry) => entry.change.id)).toEqual(['run-1:vip:c:c34', 'run-1:vip:c:c34']);
    expect(await fresh()).toEqual([...stored, ...after]);

    // An erasure began: what was recorded is read from the store again (where the erasure
    // deletes the customer's rows); what is recorded after it, from memory.
    outbox.forgetTail();
    await store.command(
      'ALTER TABLE segment_outbox_by_writer DELETE WHERE profile_key = {key:String} SETTINGS mutations_sync = 2',
      { key: 'c:c34' },
    );
    expect(await outbox.page(stored.at(-1)!.seq, 100, writer)).toEqual([]);
    expect(counts.pageReads).toBe(2);
    await outbox.append([change(35)]);
    const tail = await outbox.page(stored.at(-1)!.seq, 100, writer);
    expect(tail.map((entry) => entry.change.id)).toEqual(['run-1:vip:c:c35']);
    expect(counts.pageReads).toBe(3);
    expect(await outbox.page(after.at(-1)!.seq, 100, writer)).toEqual(tail);
    expect(counts.pageReads).toBe(3);
  });

  it('writes a cursor to the store at most once an interval and at close; a kill sends again what came after it, under the same ids', async () => {
    const advances: string[] = [];
    const counted: Store = {
      mode: store.mode,
      database: store.database,
      query: (sql, params, lane) => store.query(sql, params, lane),
      command: (sql, params, lane) => {
        if (sql.includes('INSERT INTO segment_outbox_cursors'))
          advances.push(String(params?.outlet));
        return store.command(sql, params, lane);
      },
      insertJsonLines: (table, body, options) => store.insertJsonLines(table, body, options),
      ping: () => store.ping(),
      close: () => store.close(),
    };
    // Its clock ahead of the other writers' of this file: a new outlet starts after the newest
    // change of any writer, and takes these.
    const outbox = new SegmentOutbox(counted, () => Date.now() + 3_600_000);
    const hook = outlet('webhook:paced');
    const first = new OutboxDispatcher({
      outbox,
      outlets: [hook],
      logger,
      pageSize: 1,
      advanceEveryMs: 60_000,
    });
    await first.start();
    const begun = advances.length;
    const from = await outbox.cursor('webhook:paced');
    for (let n = 50; n < 60; n++) await outbox.append([change(n)]);
    await first.drained();
    const ids = Array.from({ length: 10 }, (_, i) => `run-1:vip:c:c${50 + i}`);
    expect(hook.got).toEqual(ids);
    // Ten pages taken: the first one's cursor written at once, the others' not yet.
    expect(advances.length - begun).toBe(1);
    const seqs = (await outbox.page(from, 100)).map((entry) => entry.seq);
    expect(seqs).toHaveLength(10);
    expect(await outbox.cursor('webhook:paced')).toBe(seqs[0]);

    // As after a kill -9 of the first: what it took after the stored cursor goes again.
    expect(await deliveredOnStart('webhook:paced')).toEqual(ids.slice(1));

    // A stop writes what was taken; after it, nothing goes again.
    await first.close();
    expect(await outbox.cursor('webhook:paced')).toBe(seqs[9]);
    expect(await deliveredOnStart('webhook:paced')).toEqual([]);
  });

  it('writes the cursor within the interval of the last page, with no close', async () => {
    const outbox = new SegmentOutbox(store, () => Date.now() + 3_600_000);
    const dispatcher = new OutboxDispatcher({
      outbox,
      outlets: [outlet('webhook:follows')],
      logger,
      advanceEveryMs: 200,
    });
    await dispatcher.start();
    const from = await outbox.cursor('webhook:follows');
    await outbox.append([change(70)]);
    await outbox.append([change(71)]);
    await dispatcher.drained();
    const last = (await outbox.page(from, 100)).at(-1)!.seq;
    await expect.poll(() => outbox.cursor('webhook:follows'), { timeout: 5_000 }).toBe(last);
    await dispatcher.close();
  });
});
