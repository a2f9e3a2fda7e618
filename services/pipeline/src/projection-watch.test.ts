import { Metrics } from '@rapport/observability';
import {
  checkProjections,
  eventInsertSettings,
  journalEventBlocks,
  type Lane,
  type Store,
} from '@rapport/store';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectionWatch, recoverProjections } from './projection-watch.js';
import { countsOf, openTestStore } from './testing/embedded-store.js';
import { storedEvent } from './testing/stored-events.js';

let store: Store;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ store, dispose } = await openTestStore());
});
afterAll(() => dispose());

/** Events whose `events` part commits while every view push fails. */
async function insertPastTheViews(customerId: string, count: number) {
  const events = Array.from({ length: count }, (_, i) =>
    storedEvent(`${customerId}-${i}`, { customerId }),
  );
  await expect(
    store.insertJsonLines('events', Buffer.from(events.map((e) => JSON.stringify(e)).join('\n')), {
      settings: { ...eventInsertSettings(`t-${customerId}`), max_columns_to_read: 1 },
    }),
  ).rejects.toThrow();
  return events.map((e) => e.event_id);
}

const divergence = async (metrics: Metrics) =>
  (await metrics.projectionDivergence.get()).values.map((v) => [v.labels, v.value]);

/**
 * A watch checking every minute of a clock the test moves on (`minutePasses`), with its
 * metrics and the profiles it reported rebuilt.
 */
function minuteWatch(on: Store = store) {
  let now = 1_000;
  const metrics = new Metrics({ processMetrics: false });
  const repaired: Set<string>[] = [];
  const watch = createProjectionWatch({
    store: on,
    logger: pino({ level: 'silent' }),
    metrics,
    everyMs: 60_000,
    now: () => now,
    onRepaired: (keys) => repaired.push(keys),
  });
  const minutePasses = () => {
    now += 60_000;
  };
  return { watch, metrics, repaired, minutePasses };
}

/** The store, `before` run ahead of each query with the query's lane. */
function storeBefore(before: (lane: Lane | undefined) => Promise<void> | void): Store {
  const wrapped = Object.create(store) as Store;
  wrapped.query = async (sql, params, lane) => {
    await before(lane);
    return store.query(sql, params, lane);
  };
  return wrapped;
}

describe('projection watch', () => {
  it('checks the profiles written since the last check once a check is due, and rebuilds them', async () => {
    const ids = await insertPastTheViews('watched', 3);
    const { watch, metrics, repaired, minutePasses } = minuteWatch();
    watch.wrote(['c:watched']);
    await watch.checkIfDue();
    expect(await countsOf(store, ids, 'c:watched')).toMatchObject({ projected: 0 });
    minutePasses();
    // The comparison runs beside the writes; what it found is confirmed and rebuilt at the
    // writer's next call.
    await watch.checkIfDue();
    await watch.idle();
    expect(await countsOf(store, ids, 'c:watched')).toMatchObject({ projected: 0 });
    await watch.checkIfDue();
    expect(await countsOf(store, ids, 'c:watched')).toEqual({ rows: 3, distinct: 3, projected: 3 });
    // What was read of the profile (cached, its stored row) is told to be read again.
    expect(repaired).toEqual([new Set(['c:watched'])]);
    // The profile projection and the report rollups (the stored events are purchases).
    expect(await divergence(metrics)).toEqual(
      ['customer_stats', 'report_types', 'report_daily', 'report_touches', 'report_keys'].map(
        (table) => [{ table, repaired: 'true' }, 1],
      ),
    );
    // Checked keys are not checked again until they are written again.
    minutePasses();
    await watch.checkIfDue();
    await watch.idle();
    expect((await metrics.projectionChecks.get()).values[0]?.value).toBe(1);
  });

  it('never holds up the writer while it compares', async () => {
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    // The comparison's statements (on the jobs' lane) wait until the gate opens.
    const gated = storeBefore(async (lane) => {
      if (lane === 'jobs') await gate;
    });
    const { watch, metrics, minutePasses } = minuteWatch(gated);
    watch.wrote(['c:writer']);
    minutePasses();
    await watch.checkIfDue();
    // The writer went on; a later call neither waits nor starts a second comparison.
    let done = false;
    const idle = watch.idle().then(() => (done = true));
    minutePasses();
    watch.wrote(['c:writer-2']);
    await watch.checkIfDue();
    expect(done).toBe(false);
    open();
    await idle;
    expect((await metrics.projectionChecks.get()).values[0]?.value).toBe(1);
  });

  it('neither rebuilds nor counts a difference gone when it is confirmed', async () => {
    await insertPastTheViews('in-flight', 2);
    // The statements on the writer's lane: the confirmation's.
    let confirming = 0;
    const counted = storeBefore((lane) => {
      if (lane === 'write') confirming += 1;
    });
    const { watch, metrics, repaired, minutePasses } = minuteWatch(counted);
    watch.wrote(['c:in-flight']);
    minutePasses();
    await watch.checkIfDue();
    await watch.idle();
    // What a block still on its way through the views looks like to a comparison beside the
    // writes: by the writer's next call its views have it.
    await checkProjections(store, ['c:in-flight'], { repair: true });
    expect(confirming).toBe(0);
    await watch.checkIfDue();
    // The comparison found it, the confirmation did not.
    expect(confirming).toBeGreaterThan(0);
    expect(await divergence(metrics)).toEqual([]);
    expect(repaired).toEqual([]);
  });

  it('at start-up, rebuilds the profiles of recently received events that differ', async () => {
    const ids = await insertPastTheViews('restarted', 2);
    const metrics = new Metrics({ processMetrics: false });
    const repaired: (Set<string> | undefined)[] = [];
    const recovered = await recoverProjections({
      store,
      logger: pino({ level: 'silent' }),
      metrics,
      onRepaired: (keys) => repaired.push(keys),
      // The test events were received in 2023: look back far enough.
      tailMs: Date.now(),
    });
    expect(recovered.check.diverged.map((d) => [d.table, d.keys])).toEqual(
      ['customer_stats', 'report_types', 'report_daily', 'report_touches', 'report_keys'].map(
        (table) => [table, ['c:restarted']],
      ),
    );
    expect(await countsOf(store, ids, 'c:restarted')).toEqual({
      rows: 2,
      distinct: 2,
      projected: 2,
    });
    expect(repaired).toEqual([new Set(['c:restarted'])]);
  });

  it('at start-up, checks the profiles of a block inserted again, however old its events', async () => {
    // A block a crash left unfinished after its rows reached every table, and a table made
    // again since (as a migration does), which no longer knows the block's token.
    const events = ['old-0', 'old-1'].map((id) => storedEvent(id, { customerId: 'remade' }));
    const block = {
      token: 't-remade',
      rows: events.length,
      body: Buffer.from(events.map((event) => JSON.stringify(event)).join('\n')),
    };
    await journalEventBlocks(store, { begun: [block] });
    await store.insertJsonLines('events', block.body, {
      settings: eventInsertSettings(block.token),
    });
    await store.command('CREATE TABLE customer_stats_copy AS customer_stats');
    await store.command('INSERT INTO customer_stats_copy SELECT * FROM customer_stats');
    await store.command('EXCHANGE TABLES customer_stats AND customer_stats_copy');
    await store.command('DROP TABLE customer_stats_copy');
    const recovered = await recoverProjections({
      store,
      logger: pino({ level: 'silent' }),
      metrics: new Metrics({ processMetrics: false }),
      // The events were received in 2023, long before the last ten minutes.
    });
    expect(recovered).toMatchObject({ blocks: 1, keys: ['c:remade'] });
    expect(recovered.check.diverged.map((d) => [d.table, d.keys])).toEqual([
      ['customer_stats', ['c:remade']],
    ]);
    const ids = events.map((event) => event.event_id);
    expect(await countsOf(store, ids, 'c:remade')).toEqual({ rows: 2, distinct: 2, projected: 2 });
  });
});
