import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@rapport/config';
import { createLogger, Metrics } from '@rapport/observability';
import { ErasureService, SuppressionMemo } from '@rapport/privacy';
import type { SegmentChange } from '@rapport/schemas';
import { insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { verifySignature } from '@rapport/webhooks';
import { startReceiver, type ReceivedRequest, type Reply } from '@rapport/webhooks/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openChangeOutlets } from './change-sinks.js';
import { openOutbox, startDelivery } from './streaming-segments.js';

/**
 * A receiver is down while a customer is erased: the batch being retried (by the outbox
 * outlet, or queued in the in-memory dispatcher) holds that customer's changes. Once the
 * receiver is back, it gets the other customers' changes of the batch and none of theirs.
 */

const secret = 'whsec_erasure_test_0123456789';
const ERASED = 'cust-erased';
const DEVICE = 'dev-erased';

function change(
  n: number,
  ids: { customerId: string } | { anonymousId: string },
  kind: 'entered' | 'exited' = 'entered',
): SegmentChange {
  const customerId = 'customerId' in ids ? ids.customerId : null;
  const anonymousId = 'anonymousId' in ids ? ids.anonymousId : null;
  return {
    id: `run-1:seg-vip:${n}`,
    segmentId: 'seg-vip',
    segmentName: 'VIP',
    version: 1,
    change: kind,
    customerId,
    anonymousId,
    at: '2026-03-01T12:00:00.000Z',
    runId: 'run-1',
  };
}

/** One batch mixing the customer to erase, their device and others, in the order published. */
const batch: SegmentChange[] = [
  change(1, { customerId: 'cust-a' }),
  change(2, { customerId: ERASED }),
  change(3, { anonymousId: DEVICE }),
  change(4, { customerId: 'cust-b' }),
  change(5, { customerId: ERASED }, 'exited'),
  change(6, { anonymousId: 'dev-other' }),
  change(7, { customerId: 'cust-a' }, 'exited'),
];
const others = batch.filter((item) => item.customerId !== ERASED && item.anonymousId !== DEVICE);
const isErased = (item: SegmentChange) => item.customerId === ERASED || item.anonymousId === DEVICE;

let test: TestStore;
let logLines: string[];
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  test = await openTestStore();
  cleanups.push(() => test.dispose());
  // The device belongs to the customer, so erasing them suppresses its key too.
  await insertRows(test.store, 'identity_links', [
    {
      anonymous_id: DEVICE,
      customer_id: ERASED,
      linked: 1,
      at: '2026-03-01 11:00:00.000',
      event_id: 'evt-link-1',
    },
  ]);
  logLines = [];
}, 120_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * The receiver answers its first request only once the customer's erasure is done, then 503
 * to it and to the next one, and 200 from then on.
 */
async function receiverDownDuringErasure(memo?: SuppressionMemo) {
  const logger = createLogger({ level: 'silent' });
  const erasures = new ErasureService({
    store: test.store,
    logger,
    ...(memo ? { onSuppressed: () => Promise.resolve(memo.changed()) } : {}),
  });
  let erasure: Promise<string> | undefined;
  const erase = async () => {
    const record = await erasures.request(ERASED);
    await erasures.waitFor(record.erasureId, 120_000);
    return (await erasures.get(record.erasureId))?.status ?? 'missing';
  };
  const receiver = await startReceiver(async (_request, index): Promise<Reply> => {
    if (index === 0) {
      erasure = erase();
      await erasure;
    }
    return index < 2 ? { status: 503, body: 'down for maintenance' } : { status: 200 };
  });
  cleanups.push(() => receiver.close());
  return { receiver, erasureStatus: () => erasure };
}

function engineParts(url: string) {
  const config = loadConfig({
    RAPPORT_WEBHOOK_URLS: url,
    RAPPORT_WEBHOOK_SECRET: secret,
    RAPPORT_WEBHOOK_BACKOFF_MS: '5',
    // The first attempt is answered only once the erasure is done: never cut short.
    RAPPORT_WEBHOOK_TIMEOUT_MS: '300000',
  });
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void logLines.push(line) },
  });
  const metrics = new Metrics({ processMetrics: false });
  return { config, logger, metrics };
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 120_000) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function withheld(metrics: Metrics): Promise<number> {
  const { values } = await metrics.webhookChangesWithheld.get();
  return values.reduce((sum, value) => sum + value.value, 0);
}

/** What every request after the erasure carried, and the one the receiver took. */
function expectErasedNeverDelivered(received: ReceivedRequest[]) {
  // The first attempt, sent before the erasure, still held the whole batch (and was refused).
  expect(received[0]!.payload.changes).toEqual(batch);
  for (const request of received.slice(1)) {
    expect(request.payload.changes.some(isErased)).toBe(false);
    expect(request.body).not.toContain(ERASED);
    expect(request.body).not.toContain(DEVICE);
  }
  // One batch, one delivery id on every attempt, whatever was taken out of it.
  for (const request of received.slice(1, 3)) {
    expect(request.payload.deliveryId).toBe(received[0]!.payload.deliveryId);
  }
  expect(received[1]!.payload.changes).toEqual(others);
  const accepted = received[2]!;
  expect(accepted.payload.changes).toEqual(others);
  const header = accepted.headers['rapport-signature'] as string;
  expect(verifySignature({ secret, header, body: accepted.body, toleranceSeconds: 300 })).toBe(
    true,
  );
}

function expectLogsWithoutIds() {
  const logs = logLines.join('');
  expect(logs).toContain('webhook changes of erased customers withheld');
  for (const id of [ERASED, DEVICE, 'cust-a', 'cust-b', 'dev-other']) {
    expect(logs).not.toContain(id);
  }
}

describe('webhook deliveries and erasure', () => {
  it.each([
    ['reading the suppression list at each attempt', false],
    ['answering from the list held in memory, as the engine does', true],
  ])(
    'the outbox outlet drops an erased customer’s changes from the batch it is retrying, %s',
    async (_how, inMemory) => {
      const memo = inMemory ? new SuppressionMemo(test.store) : undefined;
      const { receiver, erasureStatus } = await receiverDownDuringErasure(memo);
      const { config, logger, metrics } = engineParts(receiver.url);
      const { outbox, recordSink } = await openOutbox(test.store);
      const lastRecorded = async () => Math.max(...(await outbox.writers()).map((w) => w.seq));
      const outlets = openChangeOutlets({
        config,
        logger,
        metrics,
        store: test.store,
        durable: true,
        ...(memo ? { withhold: (page) => memo.suppressedChanges(page) } : {}),
      });
      cleanups.push(() => outlets.close());
      expect(outlets.sinks).toHaveLength(1);
      const outletName = outlets.sinks[0]!.name;
      const delivery = await startDelivery({ outbox, outlets: outlets.sinks, logger, metrics });
      cleanups.push(() => delivery.close());

      await recordSink.publish(batch);
      const lastSeq = await lastRecorded();
      await until('the outbox cursor past the batch', async () => {
        return (await outbox.cursor(outletName)) >= lastSeq;
      });

      expect(await erasureStatus()).toBe('done');
      expect(receiver.received).toHaveLength(3);
      expectErasedNeverDelivered(receiver.received);
      expect(await withheld(metrics)).toBe(batch.length - others.length);

      // Changes of the erased customer recorded late (a run that began before the erasure):
      // the page is left empty, counts as delivered, and the cursor moves past it.
      await recordSink.publish([change(8, { customerId: ERASED }, 'exited')]);
      const lateSeq = await lastRecorded();
      await until('the outbox cursor past the late change', async () => {
        return (await outbox.cursor(outletName)) >= lateSeq;
      });
      expect(receiver.received).toHaveLength(3);
      const next = change(9, { customerId: 'cust-b' }, 'exited');
      await recordSink.publish([next]);
      await until('the next change delivered', () => receiver.received.length === 4);
      expect(receiver.received[3]!.payload.changes).toEqual([next]);
      expect(await withheld(metrics)).toBe(batch.length - others.length + 1);
      expectLogsWithoutIds();
    },
    300_000,
  );

  it('the in-memory dispatcher drops an erased customer’s queued changes before each attempt', async () => {
    const { receiver, erasureStatus } = await receiverDownDuringErasure();
    const { config, logger, metrics } = engineParts(receiver.url);
    const outlets = openChangeOutlets({ config, logger, metrics, store: test.store });
    cleanups.push(() => outlets.close());
    expect(outlets.sinks.map((sink) => sink.name)).toEqual(['webhooks']);
    const [dispatcher] = outlets.sinks;

    await dispatcher!.publish(batch);
    await until('the batch accepted', () => receiver.received.length === 3);
    expect(await erasureStatus()).toBe('done');

    // Queued after the erasure: a batch of only the erased customer's changes sends nothing.
    await dispatcher!.publish([change(8, { customerId: ERASED }, 'exited')]);
    const next = change(9, { customerId: 'cust-b' }, 'exited');
    await dispatcher!.publish([next]);
    await outlets.close();

    expectErasedNeverDelivered(receiver.received);
    expect(receiver.received).toHaveLength(4);
    expect(receiver.received[3]!.payload.changes).toEqual([next]);
    expect(await withheld(metrics)).toBe(batch.length - others.length + 1);
    expectLogsWithoutIds();
  }, 300_000);
});
