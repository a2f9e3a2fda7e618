import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChangeSink } from '@rapport/bus';
import type { Metrics } from '@rapport/observability';
import type { SegmentChange } from '@rapport/schemas';
import { postBatch } from './post-batch.js';
import { jitteredDelay, type Backoff } from './retry-policy.js';
import type { WebhookLogger } from './webhook-endpoint.js';
import {
  changeScreen,
  postedBatch,
  screenedAttempt,
  type Screened,
  type WithholdChanges,
} from './withhold.js';

export interface WebhookOutletOptions {
  url: string;
  secret: string;
  /** Pause before a retry: full jitter over a step doubling from `initial` to `max`. */
  backoffMs: Backoff;
  timeoutMs: number;
  userAgent?: string;
  random?: () => number;
  logger?: WebhookLogger | undefined;
  metrics?: Metrics | undefined;
  /** Asked before every attempt: the changes of erased customers are taken out of the batch. */
  withhold?: WithholdChanges | undefined;
}

/**
 * One webhook receiver as an outlet of the segment change outbox: publish() resolves only
 * once the receiver answered 2xx, retrying with backoff for as long as it takes (a receiver
 * that is down holds up only its own cursor). A receiver that refuses a batch for good (a
 * 4xx other than 408 and 429, a redirect) has it logged and counted as failed, and the next
 * batch goes. The delivery id is made of the batch's change ids, so a batch sent again after
 * a restart carries the same one; each change's `id` is its own idempotency key. Before every
 * attempt the changes of customers erased meanwhile are taken out (`withhold`); a batch left
 * empty counts as delivered, so the outbox cursor moves past it.
 */
export class WebhookOutlet implements ChangeSink {
  readonly name: string;
  private readonly origin: string;
  private readonly stop = new AbortController();
  private readonly screen: (changes: readonly SegmentChange[], id: string) => Promise<Screened>;

  constructor(private readonly options: WebhookOutletOptions) {
    const parsed = URL.canParse(options.url) ? new URL(options.url) : undefined;
    if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
      throw new Error('a webhook URL is not an http(s) URL');
    }
    this.origin = parsed.origin;
    // The URL may hold a token: the cursor is named by its hash.
    this.name = `webhook:${createHash('sha256').update(options.url).digest('hex').slice(0, 16)}`;
    this.screen = changeScreen({
      withhold: options.withhold,
      endpoint: this.origin,
      logger: options.logger,
      metrics: options.metrics,
    });
  }

  async publish(changes: readonly SegmentChange[]): Promise<void> {
    const { url, secret, timeoutMs, metrics, logger } = this.options;
    const endpoint = this.origin;
    const deliveryId = createHash('sha256')
      .update(changes.map((change) => change.id).join('\n'))
      .digest('hex')
      .slice(0, 32);
    let batch = postedBatch(deliveryId, changes);
    for (let attempt = 1; ; attempt++) {
      this.stop.signal.throwIfAborted();
      const attempted = await screenedAttempt({
        screen: this.screen,
        batch,
        deliveryId,
        post: (body) =>
          postBatch({
            url,
            body,
            deliveryId,
            secret,
            userAgent: this.options.userAgent ?? 'Rapport-Webhooks/1.0',
            timeoutMs,
            stop: this.stop.signal,
          }),
        endpoint,
        metrics,
      });
      // Every change was an erased customer's: nothing is left to send.
      if (attempted === undefined) return;
      batch = attempted.batch;
      const { result } = attempted;
      if (result.verdict === 'delivered') {
        metrics?.webhookDeliveries.inc({ endpoint, outcome: 'delivered' });
        return;
      }
      this.stop.signal.throwIfAborted();
      if (result.verdict === 'fail') {
        metrics?.webhookDeliveries.inc({ endpoint, outcome: 'failed' });
        logger?.error(
          {
            endpoint,
            deliveryId,
            changes: batch.changes.length,
            status: result.status,
            reason: result.reason,
          },
          'webhook batch refused by the receiver; given up',
        );
        return;
      }
      metrics?.webhookDeliveries.inc({ endpoint, outcome: 'retried' });
      const delay =
        result.retryAfterMs ??
        jitteredDelay({
          backoff: this.options.backoffMs,
          attempt,
          random: this.options.random ?? Math.random,
        });
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
      await sleep(Math.min(delay, this.options.backoffMs.max), undefined, {
        signal: this.stop.signal,
      });
    }
  }

  /** Ends the attempt going on: its batch is sent again at the next start. */
  close(): Promise<void> {
    this.stop.abort();
    return Promise.resolve();
  }
}
