import type { SegmentChange } from '@rapport/schemas';

/**
 * Where a segments run hands the profiles that entered or exited a segment. The run calls
 * publish() page by page, in order, awaiting each call, then close() when the process stops.
 */
export interface ChangeSink {
  readonly name: string;
  /**
   * Resolves once the changes are handed over durably (Kafka: acks=all) or queued for
   * delivery (webhooks: bounded queue, so it waits when the queue is full — backpressure).
   * Rejects only when they cannot be handed over.
   */
  publish(changes: readonly SegmentChange[]): Promise<void>;
  /** Delivers or gives up on what is queued (within a deadline), then stops. */
  close(): Promise<void>;
}
