import type { SegmentChange } from '@rapport/schemas';
import type { ChangeSink } from './change-sink.js';
import { BusUnavailableError } from './port.js';

export type ChangeListener = (changes: readonly SegmentChange[]) => void | Promise<void>;

/**
 * Segment changes for listeners in this process (embedded mode). publish() hands each page to
 * every listener in the order they subscribed and resolves once all of them have; pages are
 * handed over one at a time, in the order they were published, even if publish() is called
 * again before the previous call resolved.
 */
export class InProcessChangeFeed implements ChangeSink {
  readonly name = 'in-process';
  private readonly listeners = new Set<ChangeListener>();
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  /** Adds a listener for the pages published from now on; the function returned removes it. */
  subscribe(listener: ChangeListener): () => void {
    // A wrapper of its own, so that subscribing the same function twice gives two listeners.
    const entry: ChangeListener = (changes) => listener(changes);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /**
   * Rejects when a listener failed — after the other listeners have had the page, so that one
   * failing listener does not keep the page from the rest.
   */
  publish(changes: readonly SegmentChange[]): Promise<void> {
    if (this.closed) {
      return Promise.reject(new BusUnavailableError('the change feed is shutting down'));
    }
    const handed = this.tail.then(() => this.handOver(changes));
    // The next page waits for this one, whatever became of it.
    this.tail = handed.catch(() => undefined);
    return handed;
  }

  /** Waits for the pages being handed over, then drops the listeners. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    this.listeners.clear();
  }

  private async handOver(changes: readonly SegmentChange[]): Promise<void> {
    if (changes.length === 0) return;
    const errors: unknown[] = [];
    for (const listener of [...this.listeners]) {
      try {
        await listener(changes);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1)
      throw new AggregateError(errors, `${errors.length} change listeners failed`);
  }
}
