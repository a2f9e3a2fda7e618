import type { Metrics } from '@rapport/observability';
import type { SegmentChange } from '@rapport/schemas';
import type { AttemptResult } from './post-batch.js';
import type { WebhookLogger } from './webhook-endpoint.js';

/**
 * Which changes of a batch must not be sent (true at the index of each): those of a customer
 * erased since the change was made. Asked before every attempt, so a batch that waits for its
 * receiver, in memory or in the outbox, loses the changes of a customer erased meanwhile.
 */
export type WithholdChanges = (changes: readonly SegmentChange[]) => Promise<readonly boolean[]>;

/** What is left of a batch to send, or why it could not be told. */
export type Screened = { changes: readonly SegmentChange[] } | { reason: string };

/**
 * The changes of a batch that may be sent, in their order (the batch itself when nothing is
 * withheld). What is withheld is counted and logged by number only. A check that fails is
 * answered with a reason and nothing is sent: the attempt is retried like a failed POST.
 */
export function changeScreen(options: {
  withhold: WithholdChanges | undefined;
  endpoint: string;
  logger?: WebhookLogger | undefined;
  metrics?: Metrics | undefined;
}): (changes: readonly SegmentChange[], deliveryId: string) => Promise<Screened> {
  const { withhold, endpoint, logger, metrics } = options;
  return async (changes, deliveryId) => {
    if (!withhold || changes.length === 0) return { changes };
    let withheld: readonly boolean[];
    try {
      withheld = await withhold(changes);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { reason: `erased customers could not be checked: ${message}` };
    }
    if (withheld.length !== changes.length) {
      return { reason: `erased customers check answered ${withheld.length} of ${changes.length}` };
    }
    const kept = changes.filter((_change, index) => !withheld[index]);
    const dropped = changes.length - kept.length;
    if (dropped === 0) return { changes };
    metrics?.webhookChangesWithheld.inc({ endpoint }, dropped);
    logger?.info(
      { endpoint, deliveryId, withheld: dropped, left: kept.length },
      'webhook changes of erased customers withheld',
    );
    return { changes: kept };
  };
}

/** A batch as it is posted: its changes and their body, written again only when they change. */
export interface PostedBatch {
  changes: readonly SegmentChange[];
  body: string;
}

export const postedBatch = (deliveryId: string, changes: readonly SegmentChange[]) => ({
  changes,
  body: JSON.stringify({ deliveryId, changes }),
});

/**
 * One attempt at a batch: screened first (the changes of customers erased since are left out,
 * the body written again), then posted, its time observed. Undefined when every change was an
 * erased customer's and nothing is left to send; a failed screen is an attempt to retry.
 */
export async function screenedAttempt(options: {
  screen: (changes: readonly SegmentChange[], deliveryId: string) => Promise<Screened>;
  batch: PostedBatch;
  deliveryId: string;
  post: (body: string) => Promise<AttemptResult>;
  endpoint: string;
  metrics?: Metrics | undefined;
}): Promise<{ batch: PostedBatch; result: AttemptResult } | undefined> {
  const { batch, deliveryId } = options;
  const screened = await options.screen(batch.changes, deliveryId);
  if ('reason' in screened) return { batch, result: { verdict: 'retry', reason: screened.reason } };
  if (screened.changes.length === 0) return undefined;
  const next =
    screened.changes === batch.changes ? batch : postedBatch(deliveryId, screened.changes);
  const started = performance.now();
  const result = await options.post(next.body);
  options.metrics?.webhookDeliverySeconds.observe(
    { endpoint: options.endpoint },
    (performance.now() - started) / 1000,
  );
  return { batch: next, result };
}
