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

/** A subscriber's verdict on a message it cannot take; the bus dead-letters it with the reason. */
export interface Invalid {
  readonly invalid: string;
}

/** A subscriber's answer for one delivered message. */
export type Outcome = Delivery | Invalid;

export function isInvalid(outcome: Outcome): outcome is Invalid {
  return typeof outcome === 'object';
}

/** A message the subscriber refused and the bus dead-lettered, with the subscriber's reason. */
export interface DeadLettered {
  readonly deadLettered: string;
}

/** What the publisher learns of each message, when the bus waits for the subscriber. */
export type PublishOutcome = Delivery | DeadLettered;

export interface PublishResult {
  /** Per-message outcome, when the bus waits for the store (the in-process bus does). */
  outcomes?: PublishOutcome[];
}

/** One message as a subscriber receives it. */
export interface Delivered {
  /** Position in its partition, as a decimal string (Kafka offsets are 64-bit). */
  offset: string;
  key: string | null;
  /** The value's bytes as published: the JSON of a StoredEvent, unless a producer erred. */
  value: Buffer;
  headers: Readonly<Record<string, string>>;
  /** The message itself when its producer runs in this process and has validated it. */
  published?: BusMessage;
}

/** Messages of one partition, in offset order. */
export interface DeliveredBatch {
  topic: string;
  partition: number;
  messages: readonly Delivered[];
}

/**
 * Handles one batch and answers for each message, in order. It resolves only once the stored
 * messages are durable: the bus then acknowledges the batch (Kafka: commits its offsets) and
 * dead-letters the invalid ones. Rejecting with an error whose `retriable` is true has the
 * batch delivered again after a pause; any other rejection stops the subscription without
 * acknowledging anything. Delivery is at least once, so the handler deduplicates (by eventId).
 */
export type BatchHandler = (batch: DeliveredBatch) => Promise<Outcome[]>;

/** A message the subscriber refused, kept with why and where it came from. */
export interface DeadLetter {
  reason: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Readonly<Record<string, string>>;
}

/**
 * The EventBus port. publish() resolves only when the events are durable: committed to the
 * store (in-process) or acknowledged by every in-sync replica (Kafka, acks=all). A publish
 * that fails may still have stored some events: the producer retries (after Retry-After for a
 * BusUnavailableError), and the eventId keeps a retry from counting twice.
 */
export interface EventBus {
  readonly kind: 'in-process' | 'kafka';
  publish(messages: BusMessage[]): Promise<PublishResult>;
  subscribe(handler: BatchHandler): Promise<void>;
  /** False when publishing would fail now (no consumer, broker unreachable). */
  ready(): Promise<boolean>;
  /** Stops taking messages, lets the batch in hand finish and be acknowledged, disconnects. */
  close(): Promise<void>;
}

/** True for errors that say "not now" (store or broker unavailable): try the same again later. */
export function isRetriable(error: unknown): boolean {
  return (error as { retriable?: unknown } | null)?.retriable === true;
}

/** Publishing cannot succeed right now; the producer should retry after a pause. */
export class BusUnavailableError extends Error {
  override readonly name = 'BusUnavailableError';
  /** HTTP callers answer 503 with Retry-After: retryAfterSeconds. */
  readonly statusCode = 503;
  readonly retriable = true;
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
