import type { Logger, Metrics } from '@rapport/observability';
import type { LatestRuns } from '@rapport/runs';
import type { Store } from '@rapport/store';
import { DrainSchedule } from './drain-schedule.js';
import { MirrorTrust } from './mirror-trust.js';
import { PendingKeys } from './pending-keys.js';
import type { RowMirror } from './row-mirror.js';
import type { MembershipsOf } from './row-mirror-fill.js';
import { RowReads } from './row-reads.js';
import { RESULT_JOBS, RowWrites } from './row-writes.js';
import type { StoredRow } from './stored-row.js';

export type { RowRuns, StoredRow } from './stored-row.js';

/**
 * `profile_rows`: one row per profile, read by key. A row is a cache kept in the store, so a
 * read checks it against the profile's aggregates and link history as they are now (one
 * read by primary keys) and answers nothing when the row is missing or behind: the caller then
 * reads the projections, as it would without rows, and the row is rewritten in the background.
 * Rows are rewritten after events are committed (the keys they touched), after a read found
 * one behind, and all at once after a job run or when the table is empty. A failed rewrite
 * costs speed, never a wrong answer.
 *
 * With a mirror (the embedded engine: this process writes every event), the rows are trusted
 * once rebuilt here or handed over by a clean stop: the process then knows which ones are
 * behind (keys touched and not yet rewritten, or whose rewrite failed) and serves the others
 * without a check, from the mirror where it holds them — no statement at all.
 *
 * The parts: reads (row-reads.ts), the keys owed a rewrite (pending-keys.ts) and when they are
 * drained (drain-schedule.ts), the statements that write rows (row-writes.ts), and the trust in
 * the rows with the copy into the mirror that earns it (mirror-trust.ts).
 */
export class ProfileRows {
  private readonly keys = new PendingKeys();
  private readonly trust: MirrorTrust;
  private readonly writes: RowWrites;
  private readonly reads: RowReads;
  private readonly drains: DrainSchedule;
  private rebuildWanted: { done: Promise<void>; resolve: () => void } | undefined;
  /** A rebuild's statements are under way (close cancels them). */
  private rebuilding = false;
  private closed = false;
  private started = false;

  constructor(
    private readonly store: Store,
    private readonly deps: {
      /** The latest runs, whose results new rows hold. */
      latest: LatestRuns;
      logger?: Logger;
      metrics?: Metrics;
      /** The local copy of the rows, for a process that writes every event of its store. */
      mirror?: RowMirror;
      /** Memberships the mirror keeps beside each row (told of changes: `segmentsChanged`). */
      membershipsOf?: MembershipsOf;
      /** Rows copied into the mirror a drain after a rebuild (default 10,000). */
      copyPageRows?: number;
    },
  ) {
    const { latest, metrics, mirror, membershipsOf, copyPageRows } = deps;
    const { excluded } = this.keys;
    this.writes = new RowWrites(store, { latest, mirror, membershipsOf, excluded });
    this.trust = new MirrorTrust(store, { metrics, mirror, membershipsOf, copyPageRows, excluded });
    this.reads = new RowReads(
      store,
      { metrics, mirror },
      {
        trusted: () => this.trust.trusted,
        isBehind: (key) => this.keys.isBehind(key),
        segmentsCurrent: (key) => this.keys.segmentsCurrent(key),
        missed: (key, result) => this.missed(key, result),
      },
    );
    this.drains = new DrainSchedule({
      drain: () => this.drain(),
      hasWork: () => this.hasWork(),
      copyingOnly: () => this.trust.copying && !this.trust.copyFailed && !this.keys.waiting,
      countPending: () => this.deps.metrics?.profileRowsPending.set(this.keys.size),
    });
    // What the last process owed is rewritten first; an untrusted copy waits for `start`.
    if (mirror?.trusted && mirror.pending.length > 0) this.touched(mirror.pending);
  }

  /**
   * At start-up, once the projections are recovered (blocks a crash cut short inserted again):
   * rebuilds the rows (and fills the mirror) if the mirror is not trusted, or if the table has
   * none while profiles exist.
   */
  async start(): Promise<void> {
    this.started = true;
    if (this.deps.mirror && !this.trust.trusted) await this.rebuild();
    else await this.rebuildIfEmpty();
  }

  /**
   * The projections changed under profiles not known (blocks inserted again): the rows are
   * served checked until rebuilt.
   */
  distrust(): void {
    if (this.closed || !this.trust.distrust()) return;
    // Before `start`, the rebuild is left to it.
    if (this.started) this.rebuild().catch(() => undefined);
  }

  /**
   * The row of `key` when it is current, else undefined (and it is rewritten soon).
   * `now` and `lapsedMs` stage the lifecycle at the time of the read.
   */
  read(key: string, at: { now: number; lapsedMs: number }): Promise<StoredRow | undefined> {
    return this.reads.read(key, at);
  }

  /** Whether reads of current rows come from the mirror (with their memberships, if kept). */
  get mirrored(): boolean {
    return this.trust.trusted && this.deps.mirror !== undefined;
  }

  /**
   * Memberships of these profiles changed (recorded): the mirror reads them again soon, and
   * until then a read of those profiles reads its memberships from the store.
   */
  segmentsChanged(keys: Iterable<string>): void {
    if (this.closed || !this.deps.mirror || !this.deps.membershipsOf) return;
    this.keys.segmentsChanged(keys);
    this.drains.schedule();
  }

  /** Events were committed under these keys (`c:…`, `a:…`): their profiles are rewritten soon. */
  touched(keys: Iterable<string>): void {
    if (this.closed) return;
    this.keys.touch(keys);
    this.drains.schedule();
  }

  /**
   * Rewrites every profile's row (after a job run changed the results rows hold, or when the
   * table is empty); resolves once done. Calls while one waits share it.
   */
  rebuild(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.rebuildWanted) return this.rebuildWanted.done;
    let resolve = () => {};
    const done = new Promise<void>((settle) => (resolve = settle));
    this.rebuildWanted = { done, resolve };
    this.drains.now();
    return done;
  }

  /** A job run ended: the rows are rewritten with its results if they hold that job's. */
  afterRun(run: { job: string; status: string }): void {
    if (!RESULT_JOBS.has(run.job) || run.status !== 'succeeded') return;
    this.deps.latest.invalidate();
    this.rebuild().catch(() => undefined);
  }

  /** Rebuilds the rows when the table has none while profiles exist (a new or upgraded store). */
  async rebuildIfEmpty(): Promise<void> {
    const [row] = await this.store.query<{ rows: unknown; stats: unknown }>(
      `SELECT (SELECT count() FROM profile_rows) AS rows,
              (SELECT count() FROM customer_stats) AS stats`,
    );
    if (Number(row?.rows) === 0 && Number(row?.stats) > 0) await this.rebuild();
  }

  /**
   * Never writes these profile keys again (an erasure has begun for them): what waits for them
   * is dropped, and a rewrite under way finishes first, so that the erasure removes its rows.
   */
  async exclude(keys: Iterable<string>): Promise<void> {
    const list = [...keys];
    this.keys.exclude(list);
    await this.drains.underway;
    const { mirror } = this.deps;
    if (!mirror) return;
    // Out of the mirror, and out of its file: no rewrite runs meanwhile.
    await this.drains.exclusively(async () => {
      await mirror.delete(list);
      await mirror.compact();
    });
  }

  /** Resolves once every rewrite asked for so far is done (or failed). */
  idle(): Promise<void> {
    return this.drains.idle();
  }

  /** Stops taking work; what is under way finishes, but a rebuild is cancelled. */
  async close(): Promise<void> {
    this.closed = true;
    this.drains.stop();
    const owed = this.keys.takeOwed();
    if (this.rebuilding) {
      await this.writes.cancelRebuild().catch((error: unknown) => {
        this.deps.logger?.warn({ err: error }, 'the profile rows rebuild could not be cancelled');
      });
    }
    await this.drains.underway;
    this.rebuildWanted?.resolve();
    this.rebuildWanted = undefined;
    // Keys a failed rewrite left behind came back to the touched keys.
    for (const key of this.keys.touched) owed.add(key);
    await this.deps.mirror?.close(this.trust.trusted ? owed : undefined);
  }

  private missed(key: string, result: 'missing' | 'behind'): undefined {
    this.deps.metrics?.profileRowReads.inc({ result });
    // Only a row found behind is rewritten: a key with no row may name no one (an unknown or
    // erased customer), and a row written for it would keep that id in the store. A profile
    // that has events gets its row when they are committed.
    if (result === 'behind' && !this.closed) {
      this.keys.behind(key);
      this.drains.schedule();
    }
    return undefined;
  }

  private hasWork(): boolean {
    return this.keys.waiting || this.rebuildWanted !== undefined || this.trust.copying;
  }

  private async drain(): Promise<void> {
    const rebuild = this.rebuildWanted;
    this.rebuildWanted = undefined;
    if (rebuild) {
      await this.attempt('rebuild', () => this.rebuildAll());
      rebuild.resolve();
    }
    const { touched, behind } = this.keys.takeRows();
    try {
      if (touched.length > 0) {
        const done = await this.attempt('touched', () => this.rewriteTouched(touched));
        // Trusted rows stay behind until rewritten: the keys are tried again.
        if (!done && !this.closed) this.keys.retry(touched);
      }
      if (behind.length > 0) {
        const done = await this.attempt('read', () => this.writes.rewrite(behind));
        if (!done && !this.closed) this.keys.retry(behind);
      }
    } finally {
      this.keys.rowsDone();
    }
    await this.refreshSegments();
    if (this.trust.copying && !this.closed) {
      // A page that failed is tried again at the pace of rewrites, not at once.
      this.trust.copyFailed = !(await this.attempt('copy', () => this.trust.copyPage()));
    }
  }

  /** The mirror reads again the memberships that changed; a failure leaves them behind. */
  private async refreshSegments(): Promise<void> {
    const { mirror, membershipsOf } = this.deps;
    if (!mirror || !membershipsOf) return;
    const keys = this.keys.takeSegments();
    if (keys.length === 0) return;
    try {
      for (let start = 0; start < keys.length; start += this.writes.keysPerWrite) {
        const scope = keys.slice(start, start + this.writes.keysPerWrite);
        const done = await this.attempt('segments', async () => {
          await mirror.putSegments(await membershipsOf(scope), scope);
        });
        if (!done && !this.closed) this.keys.retrySegments(scope);
      }
    } finally {
      this.keys.segmentsDone();
    }
  }

  /**
   * Every profile's row written anew and rows of profiles that hold nothing any more deleted;
   * with a mirror, the rows are then copied into it, a page a drain (`copyPage`), so that an
   * erasure waits for one page rather than the whole copy.
   */
  private async rebuildAll(): Promise<number> {
    this.rebuilding = true;
    try {
      await this.writes.rebuildAll();
    } finally {
      this.rebuilding = false;
    }
    if (this.deps.mirror) this.trust.beginCopy();
    return 0;
  }

  /** The rows of the profiles events under these keys belong to (see RowWrites.profilesOf). */
  private async rewriteTouched(keys: string[]): Promise<number> {
    const { profiles, linked } = await this.writes.profilesOf(keys);
    this.keys.rewriting(profiles);
    return this.writes.rewrite(profiles, linked);
  }

  /** Whether `work` succeeded; a failure is counted and logged. */
  private async attempt(reason: string, work: () => Promise<unknown>): Promise<boolean> {
    try {
      const written = await work();
      if (typeof written === 'number') {
        this.deps.metrics?.profileRowsWritten.inc({ reason }, written);
      }
      return true;
    } catch (error) {
      // A row left behind is checked (or known behind) when read: it costs speed, not truth.
      if (this.closed) {
        // Cancelled by close (a rebuild), or cut short by it.
        this.deps.logger?.info({ reason }, 'profile rows left for the next start: closing');
        return false;
      }
      this.deps.metrics?.profileRowsFailures.inc();
      this.deps.logger?.warn({ err: error, reason }, 'profile rows were not rewritten');
      return false;
    }
  }
}
