import type { ChangeSink } from '@rapport/bus';
import type { Metrics } from '@rapport/observability';
import type { SegmentChange } from '@rapport/schemas';
import type { Backoff } from './retry-policy.js';
import { WebhookEndpoint, type WebhookLogger } from './webhook-endpoint.js';
import type { WithholdChanges } from './withhold.js';

export interface WebhookDispatcherOptions {
  /** Receivers, http(s) URLs; each gets every change, on its own queue. */
  urls: readonly string[];
  /** The shared secret requests are signed with (see signPayload). */
  secret: string;
  /** Changes per POST at most (default 500). */
  batchSize?: number;
  /** Attempts per batch, the first included, before it is given up (default 8). */
  maxAttempts?: number;
  /** Pause before a retry: full jitter over a step doubling from `initial` to `max` (default 1 s … 5 min). */
  backoffMs?: Backoff;
  /** An attempt without an answer by then counts as failed and is retried (default 10,000 ms). */
  timeoutMs?: number;
  /** Changes one endpoint may hold, queued or being sent; publish() waits beyond (default 20,000). */
  maxQueuedChanges?: number;
  /** How long close() waits for the queues to drain before it drops what is left (default 30,000 ms). */
  closeTimeoutMs?: number;
  /** User-Agent of the requests (default Rapport-Webhooks/1.0). */
  userAgent?: string;
  /** Source of the jitter, uniform in [0, 1) (default Math.random). */
  random?: () => number;
  logger?: WebhookLogger;
  metrics?: Metrics;
  /**
   * Asked before every attempt: the changes it marks (an erased customer's) are taken out of
   * the batch, counted in rapport_webhook_changes_withheld_total; a batch left empty is done.
   */
  withhold?: WithholdChanges;
}

/** Thrown by publish() once close() was called: the changes were not (all) queued. */
export class WebhooksClosedError extends Error {
  override readonly name = 'WebhooksClosedError';
  constructor() {
    super('the webhook dispatcher is shutting down');
  }
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number of at least 1 (got ${value})`);
  }
  return value;
}

/**
 * Segment changes to HTTP receivers, signed (Rapport-Signature). Each endpoint has its own
 * FIFO queue and worker: batches reach one endpoint strictly in order, each retried with
 * backoff until it is delivered or given up; a slow or failing endpoint holds up only its own
 * queue — until the queue is full, when publish() waits for it (backpressure).
 */
export class WebhookDispatcher implements ChangeSink {
  readonly name = 'webhooks';
  private readonly endpoints: WebhookEndpoint[];
  private readonly closeTimeoutMs: number;
  /** Aborted by close(): publish calls waiting for room give up. */
  private readonly closing = new AbortController();
  /** Aborted when close() stops waiting: attempts and pauses end at once. */
  private readonly stop = new AbortController();
  private tail: Promise<void> = Promise.resolve();
  private closed: Promise<void> | undefined;

  constructor(options: WebhookDispatcherOptions) {
    if (options.secret === '') throw new Error('webhooks need a secret to sign with');
    const backoff = options.backoffMs ?? { initial: 1000, max: 5 * 60 * 1000 };
    const settings = {
      secret: options.secret,
      batchSize: positive('batchSize', options.batchSize ?? 500),
      maxAttempts: positive('maxAttempts', options.maxAttempts ?? 8),
      backoff: {
        initial: positive('backoffMs.initial', backoff.initial),
        max: positive('backoffMs.max', backoff.max),
      },
      timeoutMs: positive('timeoutMs', options.timeoutMs ?? 10_000),
      maxQueuedChanges: positive('maxQueuedChanges', options.maxQueuedChanges ?? 20_000),
      userAgent: options.userAgent ?? 'Rapport-Webhooks/1.0',
      random: options.random ?? Math.random,
      logger: options.logger,
      metrics: options.metrics,
      withhold: options.withhold,
    };
    this.closeTimeoutMs = options.closeTimeoutMs ?? 30_000;
    this.endpoints = options.urls.map((url) => {
      const parsed = URL.canParse(url) ? new URL(url) : undefined;
      if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
        throw new Error(`webhook URL #${options.urls.indexOf(url) + 1} is not an http(s) URL`);
      }
      return new WebhookEndpoint({ ...settings, url }, this.stop.signal);
    });
  }

  /** The origins of the endpoints, as the metrics and logs name them. */
  get origins(): string[] {
    return this.endpoints.map((endpoint) => endpoint.origin);
  }

  /**
   * Resolves once every endpoint has the changes queued; pages are queued in the order they
   * were published, even when publish() is called again before the previous call resolved.
   */
  publish(changes: readonly SegmentChange[]): Promise<void> {
    if (this.closing.signal.aborted) return Promise.reject(new WebhooksClosedError());
    const queued = this.tail.then(() =>
      Promise.all(this.endpoints.map((endpoint) => endpoint.enqueue(changes, this.closing.signal))),
    );
    this.tail = queued.then(
      () => undefined,
      () => undefined,
    );
    return queued.then(() => undefined);
  }

  /**
   * Refuses new changes, waits up to closeTimeoutMs for every queue to drain, then ends the
   * attempts still going and drops what is left; each batch given up that way is logged and
   * counted as failed.
   */
  close(): Promise<void> {
    this.closed ??= this.shutDown();
    return this.closed;
  }

  private async shutDown(): Promise<void> {
    this.closing.abort(new WebhooksClosedError());
    const drained = Promise.all(this.endpoints.map((endpoint) => endpoint.drained()));
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      drained.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.closeTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      this.stop.abort();
      await drained;
    }
  }
}
