import type { Logger, Metrics } from '@rapport/observability';
import type { LatestRuns } from '@rapport/runs';
import type { ProfileSegment } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { z } from 'zod';
import { parseProfileKey, profileKey } from './profile-key.js';
import {
  MAX_ANONYMOUS_IDS,
  PROFILE_ROW_CHECK_SQL,
  PROFILE_ROW_READ_SQL,
  LINKED_CUSTOMERS_SQL,
  PROFILE_ROWS_DELETE_SQL,
  PROFILE_ROWS_STALE_SQL,
  profileRowsWriteSql,
} from './profile-rows-sql.js';
import type { RowMirror } from './row-mirror.js';
import { atReadOf, mirrorPage, mirrorRows, type MembershipsOf } from './row-mirror-fill.js';
import { scopeParams } from './scope-params.js';

/** The job runs whose results a row holds ('' where the job had none). */
export interface RowRuns {
  rfm: string;
  clv: string;
  clusters: string;
}

/** A profile's stored row, found current: what the profile read shows, as one object. */
export interface StoredRow {
  /** Every column of the row, as the activity and result parts of a profile read name them. */
  columns: Record<string, unknown>;
  traits: Record<string, string>;
  anonymousIds: string[];
  runs: RowRuns;
  /** Its open segment memberships (names and times blank), when the mirror held them current. */
  segments?: ProfileSegment[];
}

/**
 * Profile keys rewritten per statement. A server takes the scope in the URL: 1,000 stay far
 * below its limit. The embedded store takes 5,000, which cost half as much a key (measured at
 * 100,000 people: 132–163 ms for 1,000 keys, 335–369 ms for 5,000).
 */
const KEYS_PER_WRITE = { server: 1_000, embedded: 5_000 };
/** Touched keys are gathered this long before a rewrite, so that a burst costs one. */
const GATHER_MS = 100;
/**
 * Rewrites of touched rows take at most this share of the time: under sustained ingest they
 * would otherwise take a core from the writer. Rows left behind meanwhile are read from the
 * projections, so this trades read speed for ingest, never correctness.
 */
const REWRITE_SHARE = 0.25;

/** What a read needs of a payload; the rest is checked as the profile's parts (profile-row.ts). */
const payloadSchema = z.looseObject({
  anonymous_ids: z.array(z.string()),
  traits: z.record(z.string(), z.string()),
  links: z.coerce.number(),
  events: z.coerce.number(),
  last_received_ms: z.coerce.number(),
  rfm_run: z.string(),
  clv_run: z.string(),
  clusters_run: z.string(),
});

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
 */
export class ProfileRows {
  private readonly touchedKeys = new Set<string>();
  private readonly behindKeys = new Set<string>();
  private rebuildWanted: { done: Promise<void>; resolve: () => void } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private lastVersion = 0;
  /** Keys being erased: never written again by this process. */
  private readonly excluded = new Set<string>();
  /** How long the last rewrite took: the next waits in proportion (REWRITE_SHARE). */
  private lastDrainMs = 0;
  private closed = false;
  /** Keys a drain under way rewrites: behind until it is done. */
  private readonly inFlight = new Set<string>();
  /** Profiles whose memberships changed since the mirror read them, and those being read. */
  private readonly segmentsBehind = new Set<string>();
  private readonly segmentsInFlight = new Set<string>();
  /** Rows (and the mirror) hold every profile as the projections do, but for keys known behind. */
  private trusted: boolean;
  private started = false;
  /**
   * Where the copy of every row into the mirror after a rebuild has got to (the last key
   * copied), a page a drain; undefined when none is under way.
   */
  private copiedUpTo: string | undefined;
  private copyFailed = false;
  private readonly keysPerWrite: number;

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
    const { mirror } = deps;
    this.keysPerWrite = KEYS_PER_WRITE[store.mode === 'embedded' ? 'embedded' : 'server'];
    this.trusted = mirror?.trusted ?? false;
    if (mirror?.trusted) deps.metrics?.profileRowsMirrored.set(mirror.size());
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
    if (this.deps.mirror && !this.trusted) await this.rebuild();
    else await this.rebuildIfEmpty();
  }

  /**
   * The projections changed under profiles not known (blocks inserted again): the rows are
   * served checked until rebuilt.
   */
  distrust(): void {
    if (!this.deps.mirror || this.closed || !this.trusted) return;
    this.trusted = false;
    this.deps.metrics?.profileRowsMirrored.set(0);
    // Before `start`, the rebuild is left to it.
    if (this.started) this.rebuild().catch(() => undefined);
  }

  /**
   * The row of `key` when it is current, else undefined (and it is rewritten soon).
   * `now` and `lapsedMs` stage the lifecycle at the time of the read.
   */
  async read(key: string, at: { now: number; lapsedMs: number }): Promise<StoredRow | undefined> {
    const mirrored = this.trusted ? this.deps.mirror?.get(key) : undefined;
    if (mirrored) {
      const columns = columnsOf(mirrored.payload, atReadOf(mirrored, at));
      if (this.knownCurrent(key, columns)) {
        this.deps.metrics?.profileRowReads.inc({ result: 'mirrored' });
        const segmentsCurrent =
          mirrored.segments !== undefined &&
          !this.segmentsBehind.has(key) &&
          !this.segmentsInFlight.has(key);
        return {
          ...storedRowOf(columns),
          ...(segmentsCurrent ? { segments: mirrored.segments } : {}),
        };
      }
    }
    const [found] = await this.store.query<Record<string, unknown> & { payload: string }>(
      PROFILE_ROW_READ_SQL,
      { profileKey: key, now: at.now, lapsedMs: at.lapsedMs },
    );
    if (!found) return this.missed(key, 'missing');
    const { payload, ...atRead } = found;
    const columns = columnsOf(payload, atRead);
    if (this.knownCurrent(key, columns)) {
      this.deps.metrics?.profileRowReads.inc({ result: 'current' });
      return storedRowOf(columns);
    }
    const anonymousIds = columns.anonymous_ids;
    const { customerId } = parseProfileKey(key);
    const keys = [key, ...(customerId === null ? [] : anonymousIds.map(anonymousKey))];
    const parts = await this.store.query<{ part: string; n: unknown; last_ms: unknown }>(
      PROFILE_ROW_CHECK_SQL,
      // A visitor's link history is not its own: it was read (ownerOf) before its row.
      { keys, ids: customerId === null ? [] : anonymousIds },
    );
    const stats = parts.find((part) => part.part === 'stats');
    const links = parts.find((part) => part.part === 'links');
    const current =
      Number(stats?.n) === columns.events &&
      Number(stats?.last_ms) === columns.last_received_ms &&
      Number(links?.n ?? 0) === columns.links;
    if (!current) return this.missed(key, 'behind');
    this.deps.metrics?.profileRowReads.inc({ result: 'current' });
    return storedRowOf(columns);
  }

  /**
   * Whether a row can be served unchecked: the rows are trusted and neither the key nor any of
   * its anonymous ids is known behind (a row listing the most ids may list fewer than the
   * profile has: always checked).
   */
  private knownCurrent(key: string, columns: RowColumns): boolean {
    if (!this.trusted) return false;
    const ids = columns.anonymous_ids;
    if (ids.length >= MAX_ANONYMOUS_IDS || this.isBehind(key)) return false;
    const { customerId } = parseProfileKey(key);
    return customerId === null || !ids.some((id) => this.isBehind(anonymousKey(id)));
  }

  private isBehind(key: string): boolean {
    return this.touchedKeys.has(key) || this.behindKeys.has(key) || this.inFlight.has(key);
  }

  /** Whether reads of current rows come from the mirror (with their memberships, if kept). */
  get mirrored(): boolean {
    return this.trusted && this.deps.mirror !== undefined;
  }

  /**
   * Memberships of these profiles changed (recorded): the mirror reads them again soon, and
   * until then a read of those profiles reads its memberships from the store.
   */
  segmentsChanged(keys: Iterable<string>): void {
    if (this.closed || !this.deps.mirror || !this.deps.membershipsOf) return;
    for (const key of keys) if (!this.excluded.has(key)) this.segmentsBehind.add(key);
    this.schedule();
  }

  /** Events were committed under these keys (`c:…`, `a:…`): their profiles are rewritten soon. */
  touched(keys: Iterable<string>): void {
    if (this.closed) return;
    for (const key of keys) if (!this.excluded.has(key)) this.touchedKeys.add(key);
    this.schedule();
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
    if (this.draining === undefined) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.startDrain();
    }
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
    for (const key of list) {
      this.excluded.add(key);
      this.touchedKeys.delete(key);
      this.behindKeys.delete(key);
      this.segmentsBehind.delete(key);
    }
    await this.draining;
    const { mirror } = this.deps;
    if (!mirror) return;
    // Out of the mirror, and out of its file: no rewrite runs meanwhile.
    await this.exclusively(async () => {
      await mirror.delete(list);
      await mirror.compact();
    });
  }

  /** Runs `work` with no rewrite under way or starting until it is done. */
  private async exclusively(work: () => Promise<void>): Promise<void> {
    while (this.draining !== undefined) await this.draining;
    const done = work();
    this.draining = done.finally(() => {
      this.draining = undefined;
      if (this.hasWork()) this.schedule();
    });
    await this.draining;
  }

  /** Resolves once every rewrite asked for so far is done (or failed). */
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

  /** Stops taking work; what is under way finishes. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const owed = new Set([...this.touchedKeys, ...this.behindKeys, ...this.segmentsBehind]);
    this.segmentsBehind.clear();
    this.touchedKeys.clear();
    this.behindKeys.clear();
    await this.draining;
    this.rebuildWanted?.resolve();
    this.rebuildWanted = undefined;
    // Keys a failed rewrite left behind came back to the touched keys.
    for (const key of this.touchedKeys) owed.add(key);
    await this.deps.mirror?.close(this.trusted ? owed : undefined);
  }

  private missed(key: string, result: 'missing' | 'behind'): undefined {
    this.deps.metrics?.profileRowReads.inc({ result });
    // Only a row found behind is rewritten: a key with no row may name no one (an unknown or
    // erased customer), and a row written for it would keep that id in the store. A profile
    // that has events gets its row when they are committed.
    if (result === 'behind' && !this.closed) {
      this.behindKeys.add(key);
      this.schedule();
    }
    return undefined;
  }

  private countPending(): void {
    this.deps.metrics?.profileRowsPending.set(
      this.touchedKeys.size + this.behindKeys.size + this.inFlight.size + this.segmentsBehind.size,
    );
  }

  private hasWork(): boolean {
    return (
      this.touchedKeys.size > 0 ||
      this.behindKeys.size > 0 ||
      this.segmentsBehind.size > 0 ||
      this.rebuildWanted !== undefined ||
      this.copiedUpTo !== undefined
    );
  }

  private schedule(): void {
    this.countPending();
    if (this.timer !== undefined || this.draining !== undefined) return;
    // Copying the rows after a rebuild goes page after page while nothing else waits.
    const copyingOnly =
      this.copiedUpTo !== undefined &&
      !this.copyFailed &&
      this.touchedKeys.size === 0 &&
      this.behindKeys.size === 0 &&
      this.segmentsBehind.size === 0;
    const rest = copyingOnly
      ? 0
      : Math.max(GATHER_MS, (this.lastDrainMs * (1 - REWRITE_SHARE)) / REWRITE_SHARE);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startDrain();
    }, rest);
    this.timer.unref();
  }

  private startDrain(): void {
    // One at a time (a compaction of the mirror counts): the one under way schedules the next.
    if (this.draining !== undefined) return;
    const started = performance.now();
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      this.countPending();
      this.lastDrainMs = performance.now() - started;
      if (this.hasWork()) this.schedule();
    });
  }

  private async drain(): Promise<void> {
    const rebuild = this.rebuildWanted;
    this.rebuildWanted = undefined;
    if (rebuild) {
      await this.attempt('rebuild', () => this.rebuildAll());
      rebuild.resolve();
    }
    const touched = [...this.touchedKeys];
    this.touchedKeys.clear();
    const behind = [...this.behindKeys];
    this.behindKeys.clear();
    for (const key of [...touched, ...behind]) this.inFlight.add(key);
    try {
      if (touched.length > 0) {
        const done = await this.attempt('touched', () => this.rewriteTouched(touched));
        // Trusted rows stay behind until rewritten: the keys are tried again.
        if (!done && !this.closed) for (const key of touched) this.touchedKeys.add(key);
      }
      if (behind.length > 0) {
        const done = await this.attempt('read', () => this.rewrite(behind));
        if (!done && !this.closed) for (const key of behind) this.touchedKeys.add(key);
      }
    } finally {
      this.inFlight.clear();
    }
    await this.refreshSegments();
    if (this.copiedUpTo !== undefined && !this.closed) {
      // A page that failed is tried again at the pace of rewrites, not at once.
      this.copyFailed = !(await this.attempt('copy', () => this.copyPage()));
    }
  }

  /** The mirror reads again the memberships that changed; a failure leaves them behind. */
  private async refreshSegments(): Promise<void> {
    const { mirror, membershipsOf } = this.deps;
    if (!mirror || !membershipsOf || this.segmentsBehind.size === 0) return;
    const keys = [...this.segmentsBehind];
    this.segmentsBehind.clear();
    for (const key of keys) this.segmentsInFlight.add(key);
    try {
      for (let start = 0; start < keys.length; start += this.keysPerWrite) {
        const scope = keys.slice(start, start + this.keysPerWrite);
        const done = await this.attempt('segments', async () => {
          await mirror.putSegments(await membershipsOf(scope), scope);
        });
        if (!done && !this.closed) for (const key of scope) this.segmentsBehind.add(key);
      }
    } finally {
      this.segmentsInFlight.clear();
    }
  }

  /**
   * Every profile's row written anew and rows of profiles that hold nothing any more deleted;
   * with a mirror, the rows are then copied into it, a page a drain (`copyPage`), so that an
   * erasure waits for one page rather than the whole copy.
   */
  private async rebuildAll(): Promise<number> {
    const runs = runParams(await latestRowRuns(this.deps.latest));
    const rebuilt = this.nextVersion();
    // Statements of tens of seconds at a million profiles: on the heavy lane, so that look-ups
    // (and the readiness check) never queue behind them.
    await this.store.command(
      profileRowsWriteSql({ scoped: false }),
      { ...runs, version: rebuilt, excluded_keys: [...this.excluded] },
      'heavy',
    );
    if (!this.deps.mirror) return 0;
    await this.store.command(
      PROFILE_ROWS_STALE_SQL,
      { rebuilt, version: this.nextVersion() },
      'heavy',
    );
    this.copiedUpTo = '';
    return 0;
  }

  /**
   * Copies the next page of rows into the mirror; after the last, the rows are trusted (keys
   * touched meanwhile are behind, and rewritten rows are copied as they are written).
   */
  private async copyPage(): Promise<void> {
    const { mirror } = this.deps;
    const after = this.copiedUpTo;
    if (!mirror || after === undefined) return;
    const next = await mirrorPage(this.store, mirror, after, {
      ...this.fillOptions(),
      pageRows: this.deps.copyPageRows,
    });
    this.copiedUpTo = next;
    if (next !== undefined) return;
    this.trusted = true;
    this.deps.metrics?.profileRowsMirrored.set(mirror.size());
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
      this.deps.metrics?.profileRowsFailures.inc();
      this.deps.logger?.warn({ err: error, reason }, 'profile rows were not rewritten');
      return false;
    }
  }

  /**
   * The profiles events under these keys belong to: an owned anonymous id's is its owner's, and
   * every customer it was ever linked to is rewritten too (a device that moved leaves the row
   * of its last owner, which lists it).
   */
  private async rewriteTouched(keys: string[]): Promise<number> {
    const profiles = new Set<string>();
    const anonymous: string[] = [];
    for (const key of keys) {
      const ids = parseProfileKey(key);
      if (ids.anonymousId === null) profiles.add(key);
      else anonymous.push(ids.anonymousId);
    }
    for (let start = 0; start < anonymous.length; start += this.keysPerWrite) {
      const within = anonymous.slice(start, start + this.keysPerWrite);
      const linked = await this.store.query<{ customers: string[] }>(LINKED_CUSTOMERS_SQL, {
        ids: within,
      });
      for (const { customers } of linked) {
        for (const customerId of customers) profiles.add(profileKey({ customerId }));
      }
      // An owned anonymous id's own row (from when it was a visitor) goes too.
      for (const anonymousId of within) profiles.add(profileKey({ anonymousId }));
    }
    for (const key of profiles) this.inFlight.add(key);
    return this.rewrite([...profiles]);
  }

  /**
   * Rewrites the rows of these profile keys: deleted first, then written from the projections
   * with a newer version, so that a key whose profile holds nothing any more stays deleted.
   */
  private async rewrite(all: string[]): Promise<number> {
    const keys = all.filter((key) => !this.excluded.has(key));
    const runs = runParams(await latestRowRuns(this.deps.latest));
    for (let start = 0; start < keys.length; start += this.keysPerWrite) {
      const scope = keys.slice(start, start + this.keysPerWrite);
      await this.store.command(
        PROFILE_ROWS_DELETE_SQL,
        { scope_keys: scope, version: this.nextVersion() },
        'read',
      );
      await this.store.command(
        profileRowsWriteSql({ scoped: true }),
        { ...runs, ...(await scopeParams(this.store, scope, 'read')), version: this.nextVersion() },
        'read',
      );
      if (this.deps.mirror) {
        await mirrorRows(this.store, this.deps.mirror, scope, this.fillOptions());
      }
    }
    return keys.length;
  }

  private fillOptions() {
    return { excluded: this.excluded, membershipsOf: this.deps.membershipsOf };
  }

  /** Increasing versions, in microseconds of the clock: a later rewrite always wins. */
  private nextVersion(): number {
    this.lastVersion = Math.max(Date.now() * 1000, this.lastVersion + 1);
    return this.lastVersion;
  }
}

/** The jobs whose results rows hold. */
const RESULT_JOBS = new Set(['rfm', 'clv', 'clusters']);

const anonymousKey = (anonymousId: string) => profileKey({ anonymousId });

type RowColumns = z.infer<typeof payloadSchema> & Record<string, unknown>;

/** A stored row's payload, checked, with the fields computed at the read. */
function columnsOf(payload: string, atRead: Record<string, unknown>): RowColumns {
  return { ...payloadSchema.parse(JSON.parse(payload)), ...atRead };
}

function storedRowOf(columns: RowColumns): StoredRow {
  return {
    columns,
    traits: columns.traits,
    anonymousIds: columns.anonymous_ids,
    runs: { rfm: columns.rfm_run, clv: columns.clv_run, clusters: columns.clusters_run },
  };
}

const runParams = (runs: RowRuns) => ({
  rfmRun: runs.rfm,
  clvRun: runs.clv,
  clustersRun: runs.clusters,
});

/** The latest successful run of each job whose results rows hold ('' for none). */
async function latestRowRuns(latest: LatestRuns): Promise<RowRuns> {
  const [rfm, clv, clusters] = await Promise.all([
    latest.get('rfm'),
    latest.get('clv'),
    latest.get('clusters'),
  ]);
  return { rfm: rfm?.runId ?? '', clv: clv?.runId ?? '', clusters: clusters?.runId ?? '' };
}
