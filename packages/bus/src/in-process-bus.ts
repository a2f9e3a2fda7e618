import {
  BusUnavailableError,
  type BatchHandler,
  type BusMessage,
  type EventBus,
  type PublishResult,
} from './port.js';

function isRetriable(error: unknown): boolean {
  return (error as { retriable?: unknown } | null)?.retriable === true;
}

/**
 * The embedded bus: publish hands the batch straight to the pipeline's handler and resolves
 * with the store's outcome, so an acknowledgement always means "committed".
 */
export class InProcessBus implements EventBus {
  readonly kind = 'in-process';
  private handler: BatchHandler | undefined;
  private closed = false;

  async publish(messages: BusMessage[]): Promise<PublishResult> {
    const handler = this.handler;
    if (this.closed || !handler) {
      throw new BusUnavailableError(
        this.closed ? 'the bus is shutting down' : 'no pipeline is running',
      );
    }
    if (messages.length === 0) return { outcomes: [] };
    try {
      return { outcomes: await handler(messages) };
    } catch (error) {
      if (isRetriable(error)) {
        throw new BusUnavailableError(
          `the store cannot take events now: ${(error as Error).message}`,
          1,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
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
}
