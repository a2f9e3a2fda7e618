import { Metrics } from '@rapport/observability';
import type { SegmentChange } from '@rapport/schemas';
import { afterEach, describe, expect, it } from 'vitest';
import { deliveries, recordingLogger, segmentChanges } from './testing/fixtures.js';
import { startReceiver } from './testing/receiver.js';
import { WebhookDispatcher } from './webhook-dispatcher.js';
import { WebhookOutlet } from './webhook-outlet.js';

const secret = 'whsec_test_secret_0123456789';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver() {
  const started = await startReceiver(() => ({ status: 200 }));
  cleanups.push(() => started.close());
  return { ...started, origin: new URL(started.url).origin };
}

/** Marks the changes of the given customers; fails the first `failures` calls as a store would. */
function erasedAmong(customers: string[], failures = 0) {
  const calls: number[] = [];
  const withhold = (changes: readonly SegmentChange[]) => {
    calls.push(changes.length);
    if (calls.length <= failures) {
      return Promise.reject(new Error('the store is not reachable'));
    }
    return Promise.resolve(changes.map((change) => customers.includes(change.customerId ?? '')));
  };
  return { withhold, calls };
}

async function withheld(metrics: Metrics, endpoint: string): Promise<number> {
  const { values } = await metrics.webhookChangesWithheld.get();
  return values.find((value) => value.labels.endpoint === endpoint)?.value ?? 0;
}

describe('withholding erased customers’ changes', () => {
  it('an outlet whose check fails sends nothing and retries, then sends what is left', async () => {
    const target = await receiver();
    const metrics = new Metrics({ processMetrics: false });
    const logger = recordingLogger();
    const { withhold, calls } = erasedAmong(['cust-1', 'cust-3'], 2);
    const outlet = new WebhookOutlet({
      url: target.url,
      secret,
      backoffMs: { initial: 1, max: 5 },
      timeoutMs: 10_000,
      metrics,
      logger,
      withhold,
    });
    cleanups.push(() => outlet.close());
    const changes = segmentChanges(5);

    await outlet.publish(changes);

    expect(calls).toEqual([5, 5, 5]);
    expect(target.received).toHaveLength(1);
    expect(target.received[0]!.payload.changes).toEqual([changes[0], changes[2], changes[4]]);
    expect(await deliveries(metrics, target.origin, 'retried')).toBe(2);
    expect(await deliveries(metrics, target.origin, 'delivered')).toBe(1);
    expect(await withheld(metrics, target.origin)).toBe(2);
    const warned = logger.entries.filter((entry) => entry.level === 'warn');
    expect(warned.map((entry) => entry.fields.reason)).toEqual([
      'erased customers could not be checked: the store is not reachable',
      'erased customers could not be checked: the store is not reachable',
    ]);
    const info = logger.entries.find((entry) => entry.level === 'info');
    expect(info?.fields).toMatchObject({ withheld: 2, left: 3 });
    expect(JSON.stringify(logger.entries)).not.toMatch(/cust-/);
  });

  it('an outlet whose whole batch is withheld resolves without a request', async () => {
    const target = await receiver();
    const metrics = new Metrics({ processMetrics: false });
    const outlet = new WebhookOutlet({
      url: target.url,
      secret,
      backoffMs: { initial: 1, max: 5 },
      timeoutMs: 10_000,
      metrics,
      withhold: erasedAmong(['cust-0', 'cust-1']).withhold,
    });
    cleanups.push(() => outlet.close());

    await outlet.publish(segmentChanges(2));

    expect(target.received).toHaveLength(0);
    expect(await withheld(metrics, target.origin)).toBe(2);
    expect(await deliveries(metrics, target.origin, 'delivered')).toBe(0);
  });

  it('a dispatcher whose check keeps failing gives the batch up without sending it', async () => {
    const target = await receiver();
    const metrics = new Metrics({ processMetrics: false });
    const { withhold, calls } = erasedAmong([], Number.POSITIVE_INFINITY);
    const webhooks = new WebhookDispatcher({
      urls: [target.url],
      secret,
      maxAttempts: 3,
      backoffMs: { initial: 1, max: 5 },
      metrics,
      withhold,
    });
    await webhooks.publish(segmentChanges(4));
    await webhooks.close();

    expect(calls).toEqual([4, 4, 4]);
    expect(target.received).toHaveLength(0);
    expect(await deliveries(metrics, target.origin, 'failed')).toBe(1);
  });

  it('a dispatcher sends each batch less the changes withheld, in order', async () => {
    const target = await receiver();
    const metrics = new Metrics({ processMetrics: false });
    const webhooks = new WebhookDispatcher({
      urls: [target.url],
      secret,
      batchSize: 3,
      metrics,
      withhold: erasedAmong(['cust-1', 'cust-3', 'cust-4', 'cust-5']).withhold,
    });
    const changes = segmentChanges(9);
    await webhooks.publish(changes);
    await webhooks.close();

    // Batches [0 1 2] [3 4 5] [6 7 8]: the second is left empty and nothing is sent for it.
    expect(target.received.map((request) => request.payload.changes)).toEqual([
      [changes[0], changes[2]],
      [changes[6], changes[7], changes[8]],
    ]);
    expect(await withheld(metrics, target.origin)).toBe(4);
  });
});
