import { randomUUID } from 'node:crypto';
import {
  BusUnavailableError,
  isInvalid,
  isRetriable,
  type BatchHandler,
  type BusMessage,
  type DeadLetter,
  type Delivered,
  type EventBus,
  type PublishOutcome,
  type PublishResult,
} from './port.js';

export interface InProcessBusOptions {
  /** Called for each message the subscriber refused (the in-process dead-letter queue). */
  onDeadLetter?: (letter: DeadLetter) => void;
  /** Dead letters kept in memory for inspection, newest last (default 1,000). */
  keepDeadLetters?: number;
}

/**
 * The embedded bus: publish hands the batch straight to the pipeline's handler and resolves
 * with the store's outcome, so an acknowledgement always means "committed". There is no log
 * to redeliver from: a failed publish is the producer's to retry (503 + Retry-After).
 */
export class InProcessBus implements EventBus {
  readonly kind = 'in-process';
  /**
   * One partition of a log that lives as long as this object: a name of its own, so that
   * positions (used in insert deduplication tokens) never repeat across restarts.
   */
  readonly topic = `in-process-${randomUUID()}`;
  readonly deadLetters: DeadLetter[] = [];
  private handler: BatchHandler | undefined;
  private closed = false;
  private nextOffset = 0;

  constructor(private readonly options: InProcessBusOptions = {}) {}

  async publish(messages: BusMessage[]): Promise<PublishResult> {
    const handler = this.handler;
    if (this.closed || !handler) {
      throw new BusUnavailableError(
        this.closed ? 'the bus is shutting down' : 'no pipeline is running',
      );
    }
    if (messages.length === 0) return { outcomes: [] };
    const delivered = messages.map((message): Delivered => ({
      offset: String(this.nextOffset++),
      key: message.key,
      // The pipeline takes `published` as it is; the bytes are made only if someone asks.
      get value() {
        return Buffer.from(message.value);
      },
      headers: {},
      published: message,
    }));
    let outcomes;
    try {
      outcomes = await handler({ topic: this.topic, partition: 0, messages: delivered });
    } catch (error) {
      if (error instanceof BusUnavailableError) throw error;
      if (isRetriable(error)) {
        throw new BusUnavailableError(
          `the store cannot take events now: ${(error as Error).message}`,
          1,
          { cause: error },
        );
      }
      throw error;
    }
    return {
      outcomes: delivered.map((message, index): PublishOutcome => {
        const outcome = outcomes[index];
        if (outcome === undefined) {
          throw new Error(`the subscriber answered for ${outcomes.length} of ${messages.length}`);
        }
        if (!isInvalid(outcome)) return outcome;
        this.deadLetter({
          reason: outcome.invalid,
          topic: this.topic,
          partition: 0,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers: message.headers,
        });
        return { deadLettered: outcome.invalid };
      }),
    };
  }

  subscribe(handler: BatchHandler): Promise<void> {
    if (this.handler) return Promise.reject(new Error('the in-process bus has one subscriber'));
    this.handler = handler;
    return Promise.resolve();
  }

  ready(): Promise<boolean> {
    return Promise.resolve(!this.closed && this.handler !== undefined);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private deadLetter(letter: DeadLetter) {
    this.deadLetters.push(letter);
    const limit = this.options.keepDeadLetters ?? 1000;
    if (this.deadLetters.length > limit) {
      this.deadLetters.splice(0, this.deadLetters.length - limit);
    }
    this.options.onDeadLetter?.(letter);
  }
}
