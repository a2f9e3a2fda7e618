import { setTimeout as sleep } from 'node:timers/promises';
import { Metrics } from '@rapport/observability';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveries, recordingLogger, segmentChanges } from './testing/fixtures.js';
import { startReceiver, type ReceivedRequest, type Reply } from './testing/receiver.js';
import { WebhookDispatcher, WebhooksClosedError } from './webhook-dispatcher.js';

const secret = 'whsec_test_secret_0123456789';
const ok: Reply = { status: 200, body: '{"ok":true}' };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(
  reply: (request: ReceivedRequest, index: number) => Reply | Promise<Reply>,
) {
  const started = await startReceiver(reply);
  cleanups.push(() => started.close());
  return { ...started, origin: new URL(started.url).origin };
}

function dispatcher(options: ConstructorParameters<typeof WebhookDispatcher>[0]) {
  const created = new WebhookDispatcher(options);
  cleanups.push(() => created.close());
  return created;
}

/** A promise and the function that settles it: a receiver holds its answer until released. */
function gate<T = void>() {
  let open!: (value: T) => void;
  const opened = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

const settledWithin = async (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);

describe('WebhookDispatcher queues', () => {
  it('delivers many batches strictly in order across failures, one request at a time', async () => {
    // Every third request fails one way or another; the rest succeed.
    const failures: Reply[] = [{ status: 503 }, 'drop', { status: 429 }, { status: 500 }];
    const target = await receiver((_request, index) =>
      index % 3 === 1 ? failures[index % failures.length]! : ok,
    );
    const metrics = new Metrics({ processMetrics: false });
    const webhooks = dispatcher({
      urls: [target.url],
      secret,
      batchSize: 7,
      maxAttempts: 10,
      backoffMs: { initial: 1, max: 5 },
      metrics,
    });
    const pages = Array.from({ length: 12 }, (_, p) => segmentChanges(25, p * 25));
    for (const page of pages) await webhooks.publish(page);
    await webhooks.close();

    const accepted = target.received.filter((_request, index) => index % 3 !== 1);
    expect(accepted.flatMap((r) => r.payload.changes.map((c) => c.id))).toEqual(
      pages.flat().map((c) => c.id),
    );
    // A failed batch is sent again, as is, before anything after it.
    target.received.forEach((request, index) => {
      if (index % 3 === 1) expect(target.received[index + 1]?.body).toBe(request.body);
    });
    expect(target.maxConcurrent()).toBe(1);
    // Batches are cut from the queue, across page boundaries, never above batchSize.
    expect(Math.max(...accepted.map((r) => r.payload.changes.length))).toBe(7);
    const batches = accepted.length;
    expect(batches).toBeGreaterThanOrEqual(Math.ceil(300 / 7));
    expect(target.received.length - batches).toBeGreaterThan(10);
    expect(await deliveries(metrics, target.origin, 'delivered')).toBe(batches);
    expect(await deliveries(metrics, target.origin, 'retried')).toBe(
      target.received.length - batches,
    );
  });

  it('keeps endpoints apart: one that is down does not hold up another', async () => {
    const down = await receiver(() => ({ status: 503 }));
    const up = await receiver(() => ok);
    const metrics = new Metrics({ processMetrics: false });
    const logger = recordingLogger();
    const webhooks = dispatcher({
      urls: [down.url, up.url],
      secret,
      batchSize: 10,
      maxAttempts: 4,
      backoffMs: { initial: 1000, max: 1000 },
      random: () => 1,
      closeTimeoutMs: 100,
      metrics,
      logger,
    });
    const changes = segmentChanges(50);
    const started = performance.now();
    await webhooks.publish(changes.slice(0, 25));
    await webhooks.publish(changes.slice(25));
    while (up.received.length < 5 && performance.now() - started < 5000) await sleep(5);
    // All five batches reached the healthy endpoint while the other one was still on its first.
    expect(up.received.flatMap((r) => r.payload.changes)).toEqual(changes);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(down.received).toHaveLength(1);

    await webhooks.close();
    expect(await deliveries(metrics, up.origin, 'delivered')).toBe(5);
    expect(await deliveries(metrics, up.origin, 'failed')).toBe(0);
    // Closing past its deadline gave up the batch in hand and dropped the four never sent.
    expect(await deliveries(metrics, down.origin, 'delivered')).toBe(0);
    expect(await deliveries(metrics, down.origin, 'failed')).toBe(5);
    const errors = logger.entries.filter((e) => e.level === 'error');
    expect(errors.map((e) => [e.message, e.fields.endpoint, e.fields.changes])).toEqual([
      ['webhook batch given up', down.origin, 10],
      [
        'webhook changes dropped: the dispatcher stopped before they could be sent',
        down.origin,
        40,
      ],
    ]);
  });

  it('makes publish wait while the queue is full, and go on once a batch is delivered', async () => {
    const released: (() => void)[] = [];
    const target = await receiver(async () => {
      const { opened, open } = gate();
      released.push(open);
      await opened;
      return ok;
    });
    const webhooks = dispatcher({
      urls: [target.url],
      secret,
      batchSize: 5,
      maxQueuedChanges: 10,
    });
    // Ten fit: five in flight, five waiting.
    expect(await settledWithin(webhooks.publish(segmentChanges(10)), 200)).toBe(true);
    const third = webhooks.publish(segmentChanges(5, 10));
    expect(await settledWithin(third, 200)).toBe(false);
    expect(target.received).toHaveLength(1);

    released.shift()?.();
    expect(await settledWithin(third, 1000)).toBe(true);
    // Queued, not delivered: the second batch is at the receiver, the third waits its turn.
    while (target.received.length < 2) await sleep(5);
    expect(target.received).toHaveLength(2);

    const closing = webhooks.close();
    const deadline = performance.now() + 5000;
    while ((target.received.length < 3 || released.length > 0) && performance.now() < deadline) {
      released.shift()?.();
      await sleep(5);
    }
    await closing;
    expect(target.received.flatMap((r) => r.payload.changes)).toEqual(segmentChanges(15));
  });

  it('splits a page larger than the queue and queues it piece by piece, in order', async () => {
    const target = await receiver(async () => {
      await sleep(10);
      return ok;
    });
    const webhooks = dispatcher({ urls: [target.url], secret, batchSize: 4, maxQueuedChanges: 6 });
    const changes = segmentChanges(30);
    await webhooks.publish(changes);
    await webhooks.close();
    expect(target.received.flatMap((r) => r.payload.changes)).toEqual(changes);
    expect(Math.max(...target.received.map((r) => r.payload.changes.length))).toBeLessThanOrEqual(
      4,
    );
  });

  it('on close delivers everything queued, then refuses more', async () => {
    const target = await receiver(async () => {
      await sleep(40);
      return ok;
    });
    const webhooks = dispatcher({ urls: [target.url], secret, batchSize: 10 });
    await webhooks.publish(segmentChanges(35));
    expect(target.received.length).toBeLessThanOrEqual(1);
    await webhooks.close();
    expect(target.received.map((r) => r.payload.changes.length)).toEqual([10, 10, 10, 5]);
    await expect(webhooks.publish(segmentChanges(1))).rejects.toBeInstanceOf(WebhooksClosedError);
  });

  it('on close stops waiting at the deadline and rejects a publish still waiting for room', async () => {
    const target = await receiver(() => 'hang');
    const metrics = new Metrics({ processMetrics: false });
    const webhooks = dispatcher({
      urls: [target.url],
      secret,
      batchSize: 2,
      maxQueuedChanges: 4,
      closeTimeoutMs: 150,
      metrics,
    });
    await webhooks.publish(segmentChanges(4));
    const waiting = webhooks.publish(segmentChanges(2, 4)).catch((error: unknown) => error);
    const started = performance.now();
    await webhooks.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await waiting).toBeInstanceOf(WebhooksClosedError);
    // The batch in flight was given up and the one behind it dropped: two failed batches.
    expect(await deliveries(metrics, target.origin, 'failed')).toBe(2);
    expect(target.received).toHaveLength(1);
  });
});
