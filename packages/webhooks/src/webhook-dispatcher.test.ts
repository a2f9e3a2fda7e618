import { Metrics } from '@rapport/observability';
import { afterEach, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, verifySignature } from './signature.js';
import { deliveries, recordingLogger, segmentChanges } from './testing/fixtures.js';
import { startReceiver, type ReceivedRequest, type Reply } from './testing/receiver.js';
import { WebhookDispatcher, type WebhookDispatcherOptions } from './webhook-dispatcher.js';

const secret = 'whsec_test_secret_0123456789';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A receiver answering by `reply`, and a dispatcher sending to it with quick test settings. */
async function setUp(
  reply: (request: ReceivedRequest, index: number) => Reply | Promise<Reply>,
  options: Partial<WebhookDispatcherOptions> = {},
) {
  const receiver = await startReceiver(reply);
  const metrics = new Metrics({ processMetrics: false });
  const logger = recordingLogger();
  const dispatcher = new WebhookDispatcher({
    urls: [receiver.url],
    secret,
    backoffMs: { initial: 5, max: 50 },
    logger,
    metrics,
    ...options,
  });
  cleanups.push(
    () => receiver.close(),
    () => dispatcher.close(),
  );
  const origin = new URL(receiver.url).origin;
  return { receiver, dispatcher, metrics, logger, origin };
}

const ok: Reply = { status: 204 };
const gaps = (requests: ReceivedRequest[]) =>
  requests.slice(1).map((request, i) => request.at - requests[i]!.at);

describe('WebhookDispatcher delivery', () => {
  it('POSTs the changes as signed JSON with a delivery id and its headers', async () => {
    const { receiver, dispatcher, metrics, origin } = await setUp(() => ok);
    const changes = segmentChanges(3);
    await dispatcher.publish(changes);
    await dispatcher.close();

    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received as [ReceivedRequest];
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe('Rapport-Webhooks/1.0');
    expect(request.payload.changes).toEqual(changes);
    expect(request.headers['rapport-delivery-id']).toBe(request.payload.deliveryId);
    expect(request.payload.deliveryId).toMatch(/^[0-9a-f-]{36}$/);
    const header = request.headers[SIGNATURE_HEADER.toLowerCase()] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature({ secret, header, body: request.body, toleranceSeconds: 60 })).toBe(
      true,
    );
    expect(
      verifySignature({
        secret: `${secret}-other`,
        header,
        body: request.body,
        toleranceSeconds: 60,
      }),
    ).toBe(false);
    expect(await deliveries(metrics, origin, 'delivered')).toBe(1);
    const { values } = await metrics.webhookDeliverySeconds.get();
    expect(
      values.find((v) => v.metricName?.endsWith('_count') && v.labels.endpoint === origin)?.value,
    ).toBe(1);
  });

  it('sends batches of at most batchSize, in order', async () => {
    const { receiver, dispatcher } = await setUp(() => ok, { batchSize: 4 });
    const changes = segmentChanges(10);
    await dispatcher.publish(changes);
    await dispatcher.close();
    expect(receiver.received.map((r) => r.payload.changes.length)).toEqual([4, 4, 2]);
    expect(receiver.received.flatMap((r) => r.payload.changes)).toEqual(changes);
    expect(new Set(receiver.received.map((r) => r.payload.deliveryId)).size).toBe(3);
  });

  it('retries after a 503 and a dropped connection, with growing pauses, under one delivery id', async () => {
    const replies: Reply[] = [{ status: 503 }, 'drop', { status: 502 }, ok];
    const { receiver, dispatcher, metrics, logger, origin } = await setUp(
      (_request, index) => replies[index] ?? ok,
      // The top of each jitter range, so the pauses are 40, 80 and 160 ms exactly.
      { backoffMs: { initial: 40, max: 1000 }, random: () => 1 },
    );
    await dispatcher.publish(segmentChanges(2));
    await dispatcher.close();

    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((r) => r.headers['rapport-delivery-id'])).size).toBe(1);
    // Each attempt is signed anew, and each signature holds.
    for (const request of receiver.received) {
      const header = request.headers['rapport-signature'] as string;
      expect(verifySignature({ secret, header, body: request.body, toleranceSeconds: 60 })).toBe(
        true,
      );
    }
    const [first, second, third] = gaps(receiver.received) as [number, number, number];
    expect(first).toBeGreaterThanOrEqual(38);
    expect(second).toBeGreaterThanOrEqual(78);
    expect(third).toBeGreaterThanOrEqual(158);
    expect(second).toBeGreaterThan(first);
    expect(third).toBeGreaterThan(second);
    expect(await deliveries(metrics, origin, 'retried')).toBe(3);
    expect(await deliveries(metrics, origin, 'delivered')).toBe(1);
    expect(await deliveries(metrics, origin, 'failed')).toBe(0);
    const warnings = logger.entries.filter((e) => e.level === 'warn');
    expect(warnings.map((w) => w.fields.status)).toEqual([503, undefined, 502]);
    expect(String(warnings[1]?.fields.reason)).toMatch(/fetch failed/);
  });

  it('retries an attempt the receiver does not answer in time', async () => {
    const { receiver, dispatcher, metrics, origin } = await setUp(
      (_request, index) => (index === 0 ? 'hang' : ok),
      { timeoutMs: 150 },
    );
    const started = performance.now();
    await dispatcher.publish(segmentChanges(1));
    await dispatcher.close();
    expect(receiver.received).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect(await deliveries(metrics, origin, 'retried')).toBe(1);
    expect(await deliveries(metrics, origin, 'delivered')).toBe(1);
  });

  it('does not retry a 400: the batch is given up, logged and counted, and the next one goes', async () => {
    const { receiver, dispatcher, metrics, logger, origin } = await setUp(
      (_request, index) => (index === 0 ? { status: 400, body: 'unknown segment' } : ok),
      { batchSize: 3 },
    );
    const changes = segmentChanges(5);
    await dispatcher.publish(changes);
    await dispatcher.close();

    expect(receiver.received.map((r) => r.payload.changes.length)).toEqual([3, 2]);
    expect(await deliveries(metrics, origin, 'failed')).toBe(1);
    expect(await deliveries(metrics, origin, 'retried')).toBe(0);
    expect(await deliveries(metrics, origin, 'delivered')).toBe(1);
    const errors = logger.entries.filter((e) => e.level === 'error');
    expect(errors).toEqual([
      {
        level: 'error',
        message: 'webhook batch given up',
        fields: {
          endpoint: origin,
          deliveryId: receiver.received[0]?.payload.deliveryId,
          changes: 3,
          entered: 2,
          exited: 1,
          attempts: 1,
          status: 400,
          reason: 'HTTP 400: unknown segment',
        },
      },
    ]);
    // The log names the origin only: the path of a webhook URL may hold a token.
    expect(JSON.stringify(logger.entries)).not.toContain('/hooks/rapport');
  });

  it('gives a batch up after maxAttempts and goes on with the next', async () => {
    const { receiver, dispatcher, metrics, logger, origin } = await setUp(
      (request) =>
        request.payload.changes[0]?.id === segmentChanges(1)[0]?.id ? { status: 500 } : ok,
      { batchSize: 1, maxAttempts: 3 },
    );
    await dispatcher.publish(segmentChanges(2));
    await dispatcher.close();
    expect(receiver.received.map((r) => r.payload.changes[0]?.customerId)).toEqual([
      'cust-0',
      'cust-0',
      'cust-0',
      'cust-1',
    ]);
    expect(await deliveries(metrics, origin, 'retried')).toBe(2);
    expect(await deliveries(metrics, origin, 'failed')).toBe(1);
    expect(await deliveries(metrics, origin, 'delivered')).toBe(1);
    expect(logger.entries.find((e) => e.level === 'error')?.fields).toMatchObject({
      attempts: 3,
      status: 500,
      changes: 1,
    });
  });

  it('waits as long as Retry-After says, in seconds or as a date', async () => {
    const retryAt = () => new Date(Date.now() + 2000).toUTCString();
    const replies: (() => Reply)[] = [
      () => ({ status: 429, headers: { 'Retry-After': '1' } }),
      () => ({ status: 503, headers: { 'Retry-After': retryAt() } }),
    ];
    const { receiver, dispatcher, metrics, origin } = await setUp(
      (_request, index) => replies[index]?.() ?? ok,
      // Far shorter than Retry-After: a pause of a second or more can only come from the header.
      { backoffMs: { initial: 5, max: 10 } },
    );
    await dispatcher.publish(segmentChanges(1));
    await dispatcher.close();
    expect(receiver.received).toHaveLength(3);
    const [first, second] = gaps(receiver.received) as [number, number];
    expect(first).toBeGreaterThanOrEqual(990);
    expect(first).toBeLessThan(1500);
    // An HTTP date has whole seconds: 2 s ahead means at least 1 s after rounding down.
    expect(second).toBeGreaterThanOrEqual(990);
    expect(second).toBeLessThan(2600);
    expect(await deliveries(metrics, origin, 'retried')).toBe(2);
  });

  it('refuses URLs that are not http(s) and settings out of range', () => {
    expect(() => new WebhookDispatcher({ urls: ['ftp://x.example/h'], secret })).toThrow(
      /webhook URL #1 is not an http\(s\) URL/,
    );
    expect(() => new WebhookDispatcher({ urls: ['https://x.example/h'], secret: '' })).toThrow(
      /secret/,
    );
    expect(
      () => new WebhookDispatcher({ urls: ['https://x.example/h'], secret, batchSize: 0 }),
    ).toThrow(/batchSize/);
  });
});
