import type { SegmentChange } from '@rapport/schemas';
import type { StreamingLogger } from '../streaming/streaming-segments.js';
import type { SegmentOutbox } from './segment-outbox.js';

/** Where changes go: the bus feed, a webhook (a ChangeSink of @rapport/bus fits). */
export interface Outlet {
  readonly name: string;
  /** Resolves once the changes are delivered, or durably handed over; rejects to be retried. */
  publish(changes: readonly SegmentChange[]): Promise<void>;
}

export interface OutboxMetrics {
  segmentOutboxPending: { set(labels: { outlet: string }, value: number): void };
  segmentOutboxDeliveries: { inc(labels: { outlet: string; outcome: string }): void };
}

export interface OutboxDispatcherOptions {
  outbox: SegmentOutbox;
  outlets: readonly Outlet[];
  logger: StreamingLogger;
  metrics?: OutboxMetrics | undefined;
  /** Changes per publish (default 500). */
  pageSize?: number;
  /** How often an idle outlet looks for changes appended by another process (default 1,000 ms). */
  pollMs?: number;
  /** Pause after a failure, doubling from `min` to `max` ms (default 100 … 30,000). */
  retryMs?: { min: number; max: number };
}

const pause = (ms: number, wake: Promise<void>) =>
  Promise.race([new Promise<void>((resolve) => setTimeout(resolve, ms).unref()), wake]);

/**
 * Delivers the outbox to every outlet, each from its own cursor: a page is published, then
 * the cursor moves past it. So every recorded change reaches every outlet at least once and
 * in the order recorded (so in order per profile), across a kill: a page published but not
 * yet marked is published again after a restart, under the same change ids.
 */
export class OutboxDispatcher {
  private closed = false;
  private loops: Promise<void>[] = [];
  private wakeUp: () => void = () => undefined;
  private wake: Promise<void> = this.nextWake();
  private stop: () => void = () => undefined;
  private readonly stopped = new Promise<void>((resolve) => {
    this.stop = resolve;
  });
  private readonly unsubscribe: () => void;

  constructor(private readonly options: OutboxDispatcherOptions) {
    this.unsubscribe = options.outbox.onAppend(() => this.wakeUp());
  }

  /**
   * Starts delivering; resolves once every outlet's cursor is known (an outlet never seen
   * before starts after what is recorded by then).
   */
  async start(): Promise<void> {
    const { outbox, outlets } = this.options;
    const cursors = await Promise.all(outlets.map((outlet) => outbox.cursor(outlet.name)));
    this.loops = outlets.map((outlet, index) => this.run(outlet, cursors[index]!));
  }

  /** Resolves once every outlet has taken everything recorded so far (tests). */
  async drained(): Promise<void> {
    const { outbox, outlets } = this.options;
    for (;;) {
      const behind = await Promise.all(
        outlets.map(async (outlet) => outbox.pending(await outbox.cursor(outlet.name))),
      );
      if (behind.every((n) => n === 0)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops after the pages being published (what is left goes at the next start). */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    this.stop();
    this.wakeUp();
    await Promise.all(this.loops);
  }

  private nextWake(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wakeUp = () => {
        this.wake = this.nextWake();
        resolve();
      };
    });
  }

  private async run(outlet: Outlet, from: number): Promise<void> {
    const { outbox, logger, metrics } = this.options;
    const pageSize = this.options.pageSize ?? 500;
    const { min, max } = this.options.retryMs ?? { min: 100, max: 30_000 };
    let failures = 0;
    let cursor = from;
    while (!this.closed) {
      const wake = this.wake;
      try {
        const page = await outbox.page(cursor, pageSize);
        if (page.length === 0) {
          metrics?.segmentOutboxPending.set({ outlet: outlet.name }, 0);
          await pause(this.options.pollMs ?? 1000, wake);
          continue;
        }
        await outlet.publish(page.map((entry) => entry.change));
        const last = page[page.length - 1]!.seq;
        await outbox.advance(outlet.name, last);
        cursor = last;
        failures = 0;
        metrics?.segmentOutboxDeliveries.inc({ outlet: outlet.name, outcome: 'delivered' });
      } catch (error) {
        failures++;
        metrics?.segmentOutboxDeliveries.inc({ outlet: outlet.name, outcome: 'failed' });
        logger.warn({ err: error, outlet: outlet.name }, 'segment changes not delivered; retrying');
        if (this.closed) break;
        await pause(Math.min(max, min * 2 ** Math.min(failures - 1, 16)), this.stopped);
      }
    }
  }
}
