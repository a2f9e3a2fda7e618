/** Touched keys are gathered this long before a rewrite, so that a burst costs one. */
const GATHER_MS = 100;
/**
 * Rewrites of touched rows take at most this share of the time: under sustained ingest they
 * would otherwise take a core from the writer. Rows left behind meanwhile are read from the
 * projections, so this trades read speed for ingest, never correctness.
 */
const REWRITE_SHARE = 0.25;

/** The work a drain of the rows does, and what the schedule asks of it. */
export interface DrainWork {
  /** Rewrites what is owed (and copies a page into the mirror). */
  drain(): Promise<void>;
  /** Whether anything is owed: a drain is then scheduled. */
  hasWork(): boolean;
  /** Whether the copy of the rows into the mirror is all that waits. */
  copyingOnly(): boolean;
  /** Counts what is owed (a gauge). */
  countPending(): void;
}

/**
 * When the rows are drained: one drain at a time (a compaction of the mirror counts), after a
 * rest that gathers touched keys and keeps rewrites to their share of the time.
 */
export class DrainSchedule {
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  /** How long the last rewrite took: the next waits in proportion (REWRITE_SHARE). */
  private lastDrainMs = 0;

  constructor(private readonly work: DrainWork) {}

  /** The drain (or exclusive work) under way, if any. */
  get underway(): Promise<void> | undefined {
    return this.draining;
  }

  schedule(): void {
    this.work.countPending();
    if (this.timer !== undefined || this.draining !== undefined) return;
    // Copying the rows after a rebuild goes page after page while nothing else waits.
    const rest = this.work.copyingOnly()
      ? 0
      : Math.max(GATHER_MS, (this.lastDrainMs * (1 - REWRITE_SHARE)) / REWRITE_SHARE);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startDrain();
    }, rest);
    this.timer.unref();
  }

  /** A drain at once, unless one is under way (that one schedules the next); a timer is dropped. */
  now(): void {
    if (this.draining === undefined) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.startDrain();
    }
  }

  /** Runs `work` with no rewrite under way or starting until it is done. */
  async exclusively(work: () => Promise<void>): Promise<void> {
    while (this.draining !== undefined) await this.draining;
    const done = work();
    this.draining = done.finally(() => {
      this.draining = undefined;
      if (this.work.hasWork()) this.schedule();
    });
    await this.draining;
  }

  /** Resolves once every drain asked for so far is done (or failed). */
  async idle(): Promise<void> {
    while (this.timer !== undefined || this.draining !== undefined) {
      if (this.timer !== undefined) {
        clearTimeout(this.timer);
        this.timer = undefined;
        this.startDrain();
      }
      await this.draining;
    }
  }

  /** No drain waits any more (what is under way finishes). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private startDrain(): void {
    // One at a time (a compaction of the mirror counts): the one under way schedules the next.
    if (this.draining !== undefined) return;
    const started = performance.now();
    this.draining = this.work.drain().finally(() => {
      this.draining = undefined;
      this.work.countPending();
      this.lastDrainMs = performance.now() - started;
      if (this.work.hasWork()) this.schedule();
    });
  }
}
