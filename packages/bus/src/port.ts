import type { StoredEventType } from '@rapport/schemas';

/** One accepted event on its way to the store. */
export interface BusMessage {
  /** Customer key: one customer's events keep their order. */
  key: string;
  eventId: string;
  type: StoredEventType;
  /** The event's anonymous id, if any: its profile changes too. */
  anonymousId?: string;
  /** The stored event as JSON (see storedEventSchema), written to the store as is. */
  value: string;
}

/** What became of a delivered event: newly stored, or already stored before. */
export type Delivery = 'stored' | 'duplicate';

export interface PublishResult {
  /** Per-message outcome, when the bus waits for the store (the in-process bus does). */
  outcomes?: Delivery[];
}

/** Handles one batch; resolves once the batch is durably stored. */
export type BatchHandler = (messages: BusMessage[]) => Promise<Delivery[]>;

/**
 * The EventBus port. publish() resolves only when the events are durable: committed to the
 * store (in-process) or acknowledged by every in-sync replica (Kafka).
 */
export interface EventBus {
  readonly kind: 'in-process' | 'kafka';
  publish(messages: BusMessage[]): Promise<PublishResult>;
  subscribe(handler: BatchHandler): Promise<void>;
  /** False when publishing would fail now (no consumer, broker unreachable). */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** Publishing cannot succeed right now; the producer should retry after a pause. */
export class BusUnavailableError extends Error {
  override readonly name = 'BusUnavailableError';
  /** HTTP callers answer 503 with Retry-After: retryAfterSeconds. */
  readonly statusCode = 503;
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
