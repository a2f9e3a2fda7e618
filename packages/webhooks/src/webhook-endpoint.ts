import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger, Metrics } from '@rapport/observability';
import type { SegmentChange } from '@rapport/schemas';
import { postBatch, type AttemptResult } from './post-batch.js';
import { jitteredDelay, type Backoff } from './retry-policy.js';
import {
  changeScreen,
  postedBatch,
  screenedAttempt,
  type Screened,
  type WithholdChanges,
} from './withhold.js';

/** The logger calls the dispatcher makes (a pino logger fits). */
export type WebhookLogger = Pick<Logger, 'error' | 'warn' | 'info' | 'debug'>;

/** A Retry-After beyond this is cut to it, so one answer cannot stall an endpoint for hours. */
export const MAX_RETRY_AFTER_MS = 5 * 60 * 1000;

export interface EndpointSettings {
  url: string;
  secret: string;
  batchSize: number;
  maxAttempts: number;
  backoff: Backoff;
  timeoutMs: number;
  maxQueuedChanges: number;
  userAgent: string;
  random: () => number;
  logger?: WebhookLogger | undefined;
  metrics?: Metrics | undefined;
  withhold?: WithholdChanges | undefined;
}

const counts = (changes: readonly SegmentChange[]) => ({
  changes: changes.length,
  entered: changes.filter((change) => change.change === 'entered').length,
  exited: changes.filter((change) => change.change === 'exited').length,
});

/**
 * One receiver: a FIFO queue of changes and a worker that POSTs them in batches, one batch
 * at a time. A batch is retried until it is delivered or given up, and only then does the next
 * one go (head-of-line), so the receiver sees changes in the order they were published. Before
 * every attempt the changes of customers erased meanwhile are taken out of the batch
 * (`withhold`); a batch left empty is done.
 */
export class WebhookEndpoint {
  /** The URL's origin: the metric label and what logs show (the path may hold a token). */
  readonly origin: string;
  private readonly pending: SegmentChange[] = [];
  private inFlight = 0;
  private worker: Promise<void> | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly screen: (changes: readonly SegmentChange[], id: string) => Promise<Screened>;

  constructor(
    private readonly settings: EndpointSettings,
    /** Aborted when the dispatcher stops waiting: attempts and pauses end, the rest is dropped. */
    private readonly stop: AbortSignal,
  ) {
    this.origin = new URL(settings.url).origin;
    this.screen = changeScreen({
      withhold: settings.withhold,
      endpoint: this.origin,
      logger: settings.logger,
      metrics: settings.metrics,
    });
  }

  /** Changes queued or being delivered. */
  get size(): number {
    return this.pending.length + this.inFlight;
  }

  /**
   * Queues the changes in order, as many at a time as there is room for: while the queue is
   * full this waits for the worker to deliver or give up on a batch. Rejects with the reason
   * of `cancel` when it is aborted first (the changes queued by then stay queued).
   */
  async enqueue(changes: readonly SegmentChange[], cancel: AbortSignal): Promise<void> {
    let next = 0;
    while (next < changes.length) {
      cancel.throwIfAborted();
      const room = this.settings.maxQueuedChanges - this.size;
      if (room <= 0) {
        await this.changed(cancel);
        continue;
      }
      const end = Math.min(changes.length, next + room);
      for (; next < end; next++) this.pending.push(changes[next]!);
      this.kick();
    }
  }

  /** Resolves once nothing is queued or being delivered. */
  async drained(): Promise<void> {
    while (this.size > 0 || this.worker) await this.changed();
  }

  private kick(): void {
    this.worker ??= this.run()
      .catch((error: unknown) => {
        // deliver() handles every failure it knows of; anything else is a bug worth a loud log.
        this.settings.logger?.error({ endpoint: this.origin, err: error }, 'webhook worker failed');
      })
      .finally(() => {
        this.worker = undefined;
        this.notify();
        if (this.pending.length > 0 && !this.stop.aborted) this.kick();
      });
  }

  private async run(): Promise<void> {
    while (this.pending.length > 0) {
      if (this.stop.aborted) {
        this.dropPending();
        return;
      }
      const batch = this.pending.splice(0, this.settings.batchSize);
      this.inFlight = batch.length;
      try {
        await this.deliver(batch);
      } finally {
        this.inFlight = 0;
        this.notify();
      }
    }
  }

  private async deliver(changes: SegmentChange[]): Promise<void> {
    const { url, secret, userAgent, timeoutMs, maxAttempts, backoff, random, metrics, logger } =
      this.settings;
    const endpoint = this.origin;
    const deliveryId = randomUUID();
    let batch = postedBatch(deliveryId, changes);
    for (let attempt = 1; ; attempt++) {
      const attempted = await screenedAttempt({
        screen: this.screen,
        batch,
        deliveryId,
        post: (body) =>
          postBatch({ url, body, deliveryId, secret, userAgent, timeoutMs, stop: this.stop }),
        endpoint,
        metrics,
      });
      // Every change was an erased customer's: nothing is left to send.
      if (attempted === undefined) return;
      batch = attempted.batch;
      const { result } = attempted;
      if (result.verdict === 'delivered') {
        metrics?.webhookDeliveries.inc({ endpoint, outcome: 'delivered' });
        logger?.debug(
          { endpoint, deliveryId, attempt, changes: batch.changes.length },
          'webhook batch delivered',
        );
        return;
      }
      if (result.verdict === 'fail' || attempt >= maxAttempts || this.stop.aborted) {
        this.giveUp({ deliveryId, changes: batch.changes, attempts: attempt, result });
        return;
      }
      metrics?.webhookDeliveries.inc({ endpoint, outcome: 'retried' });
      const delay =
        result.retryAfterMs === undefined
          ? jitteredDelay({ backoff, attempt, random })
          : Math.min(result.retryAfterMs, MAX_RETRY_AFTER_MS);
      logger?.warn(
        {
          endpoint,
          deliveryId,
          attempt,
          status: result.status,
          reason: result.reason,
          retryInMs: delay,
        },
        'webhook delivery failed, will retry',
      );
      try {
        await sleep(delay, undefined, { signal: this.stop });
      } catch {
        this.giveUp({
          deliveryId,
          changes: batch.changes,
          attempts: attempt,
          result: { ...result, reason: `${result.reason}; stopped before the next attempt` },
        });
        return;
      }
    }
  }

  private giveUp(options: {
    deliveryId: string;
    changes: readonly SegmentChange[];
    attempts: number;
    result: Exclude<AttemptResult, { verdict: 'delivered' }>;
  }): void {
    const { deliveryId, changes, attempts, result } = options;
    this.settings.metrics?.webhookDeliveries.inc({ endpoint: this.origin, outcome: 'failed' });
    this.settings.logger?.error(
      {
        endpoint: this.origin,
        deliveryId,
        ...counts(changes),
        attempts,
        status: result.status,
        reason: result.reason,
      },
      'webhook batch given up',
    );
  }

  /** At a stop past the deadline: what was never sent is dropped, loudly, as failed batches. */
  private dropPending(): void {
    const dropped = this.pending.splice(0);
    if (dropped.length === 0) return;
    const batches = Math.ceil(dropped.length / this.settings.batchSize);
    this.settings.metrics?.webhookDeliveries.inc(
      { endpoint: this.origin, outcome: 'failed' },
      batches,
    );
    this.settings.logger?.error(
      { endpoint: this.origin, ...counts(dropped), batches },
      'webhook changes dropped: the dispatcher stopped before they could be sent',
    );
  }

  /** Resolves at the next change of the queue; rejects if `cancel` is aborted first. */
  private changed(cancel?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiters.delete(done);
        reject(cancel?.reason as Error);
      };
      const done = () => {
        this.waiters.delete(done);
        cancel?.removeEventListener('abort', onAbort);
        resolve();
      };
      if (cancel?.aborted) {
        reject(cancel.reason as Error);
        return;
      }
      this.waiters.add(done);
      cancel?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
