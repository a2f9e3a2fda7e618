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
  /**
   * How often, at most, an outlet's cursor is written to the store (default 1,000 ms; 0: after
   * every page). Pages are published from the cursor held in memory; the stored one follows
   * within this long, and at close. After a kill, the pages of about this long before it are
   * published again (under the same change ids).
   */
  advanceEveryMs?: number;
  /** Pause after a failure, doubling from `min` to `max` ms (default 100 … 30,000). */
  retryMs?: { min: number; max: number };
  /**
   * 'all' when several processes record changes (distributed mode): every writer's changes
   * are read from a cursor of their own and merged by seq. Default 'one': the writer ''.
   */
  writers?: 'one' | 'all';
}

/** How often, at most, an outlet taking full pages counts what it has left (a read). */
const PENDING_EVERY_MS = 5_000;

/** How far back, after start, a dispatcher of every writer looks for writers new to it. */
const WRITERS_LOOK_BACK_MS = 60 * 60_000;

const cursorName = (outlet: string, writer: string) =>
  writer === '' ? outlet : `${outlet}@${writer}`;

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
  /** Each outlet's cursors as published (in memory), by writer. */
  private readonly taken = new Map<string, ReadonlyMap<string, number>>();

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
    this.loops = outlets.map((outlet, index) =>
      this.options.writers === 'all'
        ? this.runAll(outlet)
        : this.run(outlet, { '': cursors[index]! }, () => Promise.resolve([''])),
    );
  }

  /** Resolves once every outlet has taken everything recorded so far (tests). */
  async drained(): Promise<void> {
    const { outbox, outlets } = this.options;
    for (;;) {
      const writers =
        this.options.writers === 'all'
          ? (await outbox.writers()).map((entry) => entry.writer)
          : [''];
      const behind = await Promise.all(
        outlets.flatMap((outlet) =>
          writers.map(async (writer) =>
            outbox.pending(
              this.taken.get(outlet.name)?.get(writer) ??
                (await outbox.writerCursor(outlet.name, writer)),
              writer,
            ),
          ),
        ),
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

  /**
   * Every writer's changes: all writers ever seen at start, then those that appended in the
   * last hour (seqs are microseconds of the writer's clock: a short read of the outbox's key)
   * and those still behind; a writer gone quiet and fully delivered is dropped.
   */
  private runAll(outlet: Outlet): Promise<void> {
    const { outbox } = this.options;
    const last = new Map<string, number>();
    let swept = false;
    return this.run(outlet, {}, async (cursors) => {
      const after = swept ? (Date.now() - WRITERS_LOOK_BACK_MS) * 1000 : 0;
      const recent = await outbox.writers(after);
      swept = true;
      for (const { writer, seq } of recent) last.set(writer, seq);
      const active = new Set(recent.map((entry) => entry.writer));
      for (const [writer, seq] of last) {
        const cursor = cursors.get(writer);
        if (!active.has(writer) && cursor !== undefined && cursor >= seq) last.delete(writer);
      }
      return [...last.keys()].sort();
    });
  }

  /**
   * Publishes the changes after the outlet's cursors a page at a time, merged by seq across
   * writers, then moves each writer's cursor past what it took: in memory at once, in the
   * store at most every `advanceEveryMs` (each write is an insert, and a part to merge) and
   * at most that long after the last page, and when the dispatcher closes. A failed write
   * counts and is retried as a failed page is, without publishing the page again.
   */
  private async run(
    outlet: Outlet,
    from: Record<string, number>,
    writersOf: (cursors: ReadonlyMap<string, number>) => Promise<string[]>,
  ): Promise<void> {
    const { outbox, logger, metrics } = this.options;
    const pageSize = this.options.pageSize ?? 500;
    const { min, max } = this.options.retryMs ?? { min: 100, max: 30_000 };
    const every = this.options.advanceEveryMs ?? 1000;
    const cursors = new Map(Object.entries(from));
    this.taken.set(outlet.name, cursors);
    /** The cursors as last written to the store. */
    const stored = new Map(cursors);
    let storedAt = -Infinity;
    const store = async () => {
      for (const [writer, seq] of cursors) {
        if (stored.get(writer) === seq) continue;
        await outbox.advance(cursorName(outlet.name, writer), seq);
        stored.set(writer, seq);
      }
      storedAt = performance.now();
    };
    const unstored = () => [...cursors].some(([writer, seq]) => stored.get(writer) !== seq);
    let failures = 0;
    let countedAt = -Infinity;
    while (!this.closed) {
      const wake = this.wake;
      try {
        const merged: { writer: string; seq: number; change: SegmentChange }[] = [];
        for (const writer of await writersOf(cursors)) {
          let cursor = cursors.get(writer);
          if (cursor === undefined) {
            cursor = await outbox.writerCursor(outlet.name, writer);
            cursors.set(writer, cursor);
            stored.set(writer, cursor);
          }
          const entries = await outbox.page(cursor, pageSize, writer);
          merged.push(...entries.map((entry) => ({ writer, ...entry })));
        }
        if (merged.length === 0) {
          metrics?.segmentOutboxPending.set({ outlet: outlet.name }, 0);
          const poll = this.options.pollMs ?? 1000;
          const due = unstored() ? storedAt + every - performance.now() : poll;
          if (due <= 0) await store();
          else await pause(Math.min(due, poll), wake);
          continue;
        }
        const page = merged
          .sort((a, b) => a.seq - b.seq || a.writer.localeCompare(b.writer))
          .slice(0, pageSize);
        await outlet.publish(page.map((entry) => entry.change));
        for (const entry of page) cursors.set(entry.writer, entry.seq);
        failures = 0;
        metrics?.segmentOutboxDeliveries.inc({ outlet: outlet.name, outcome: 'delivered' });
        if (performance.now() - storedAt >= every) await store();
        if (page.length < pageSize && merged.length === page.length) {
          // A page short of full took everything there was when it was read.
          metrics?.segmentOutboxPending.set({ outlet: outlet.name }, 0);
        } else if (metrics && performance.now() - countedAt >= PENDING_EVERY_MS) {
          // A backlog: counted now and then (a read), never holding up delivery if it fails.
          countedAt = performance.now();
          await Promise.all([...cursors].map(([writer, cursor]) => outbox.pending(cursor, writer)))
            .then((left) => {
              const total = left.reduce((sum, n) => sum + n, 0);
              metrics.segmentOutboxPending.set({ outlet: outlet.name }, total);
            })
            .catch(() => undefined);
        }
      } catch (error) {
        failures++;
        metrics?.segmentOutboxDeliveries.inc({ outlet: outlet.name, outcome: 'failed' });
        logger.warn({ err: error, outlet: outlet.name }, 'segment changes not delivered; retrying');
        if (this.closed) break;
        await pause(Math.min(max, min * 2 ** Math.min(failures - 1, 16)), this.stopped);
      }
    }
    // What was taken since the last write: not to be published again at the next start.
    await store().catch((error: unknown) => {
      logger.warn({ err: error, outlet: outlet.name }, 'segment outbox cursor not saved at close');
    });
  }
}
