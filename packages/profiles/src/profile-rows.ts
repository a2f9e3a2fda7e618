import type { Logger, Metrics } from '@rapport/observability';
import type { LatestRuns } from '@rapport/runs';
import type { Store } from '@rapport/store';
import { z } from 'zod';
import { ownersSql } from './identity.js';
import { parseProfileKey, profileKey } from './profile-key.js';
import {
  PROFILE_ROW_CHECK_SQL,
  PROFILE_ROW_READ_SQL,
  PROFILE_ROWS_DELETE_SQL,
  profileRowsWriteSql,
} from './profile-rows-sql.js';

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
}

/** Profile keys rewritten per statement: a scope parameter stays far below a URL's limit. */
const KEYS_PER_WRITE = 1_000;
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

  constructor(
    private readonly store: Store,
    private readonly deps: {
      /** The latest runs, whose results new rows hold. */
      latest: LatestRuns;
      logger?: Logger;
      metrics?: Metrics;
    },
  ) {}

  /**
   * The row of `key` when it is current, else undefined (and it is rewritten soon).
   * `now` and `lapsedMs` stage the lifecycle at the time of the read.
   */
  async read(key: string, at: { now: number; lapsedMs: number }): Promise<StoredRow | undefined> {
    const [found] = await this.store.query<Record<string, unknown> & { payload: string }>(
      PROFILE_ROW_READ_SQL,
      { profileKey: key, now: at.now, lapsedMs: at.lapsedMs },
    );
    if (!found) return this.missed(key, 'missing');
    const { payload, ...atRead } = found;
    const columns = { ...payloadSchema.parse(JSON.parse(payload)), ...atRead };
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
    return {
      columns,
      traits: columns.traits,
      anonymousIds,
      runs: { rfm: columns.rfm_run, clv: columns.clv_run, clusters: columns.clusters_run },
    };
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
    for (const key of keys) {
      this.excluded.add(key);
      this.touchedKeys.delete(key);
      this.behindKeys.delete(key);
    }
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
    this.touchedKeys.clear();
    this.behindKeys.clear();
    await this.draining;
    this.rebuildWanted?.resolve();
    this.rebuildWanted = undefined;
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

  private schedule(): void {
    if (this.timer !== undefined || this.draining !== undefined) return;
    const rest = Math.max(GATHER_MS, (this.lastDrainMs * (1 - REWRITE_SHARE)) / REWRITE_SHARE);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startDrain();
    }, rest);
    this.timer.unref();
  }

  private startDrain(): void {
    const started = performance.now();
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      this.lastDrainMs = performance.now() - started;
      if (this.touchedKeys.size > 0 || this.behindKeys.size > 0 || this.rebuildWanted) {
        this.schedule();
      }
    });
  }

  private async drain(): Promise<void> {
    const rebuild = this.rebuildWanted;
    this.rebuildWanted = undefined;
    if (rebuild) {
      await this.attempt('rebuild', async () => {
        const runs = runParams(await latestRowRuns(this.deps.latest));
        await this.store.command(
          profileRowsWriteSql({ scoped: false }),
          { ...runs, version: this.nextVersion(), excluded_keys: [...this.excluded] },
          'read',
        );
      });
      rebuild.resolve();
    }
    const touched = [...this.touchedKeys];
    this.touchedKeys.clear();
    const behind = [...this.behindKeys];
    this.behindKeys.clear();
    if (touched.length > 0) await this.attempt('touched', () => this.rewriteTouched(touched));
    if (behind.length > 0) await this.attempt('read', () => this.rewrite(behind));
  }

  private async attempt(reason: string, work: () => Promise<unknown>): Promise<void> {
    try {
      const written = await work();
      if (typeof written === 'number') {
        this.deps.metrics?.profileRowsWritten.inc({ reason }, written);
      }
    } catch (error) {
      // Reads check every row, so a row left behind only costs the next read its speed.
      this.deps.metrics?.profileRowsFailures.inc();
      this.deps.logger?.warn({ err: error, reason }, 'profile rows were not rewritten');
    }
  }

  /** The profiles events under these keys belong to: an owned anonymous id's is its owner's. */
  private async rewriteTouched(keys: string[]): Promise<number> {
    const profiles = new Set<string>();
    const anonymous: string[] = [];
    for (const key of keys) {
      const ids = parseProfileKey(key);
      if (ids.anonymousId === null) profiles.add(key);
      else anonymous.push(ids.anonymousId);
    }
    for (let start = 0; start < anonymous.length; start += KEYS_PER_WRITE) {
      const within = anonymous.slice(start, start + KEYS_PER_WRITE);
      const owners = await this.store.query<{ anonymous_id: string; owner: string }>(
        `SELECT anonymous_id, owner FROM (${ownersSql({ within: '{ids:Array(String)}' })})`,
        { ids: within },
      );
      const ownerOf = new Map(owners.map((row) => [row.anonymous_id, row.owner]));
      for (const anonymousId of within) {
        const owner = ownerOf.get(anonymousId);
        // An owned anonymous id's own row (from when it was a visitor) goes too.
        if (owner !== undefined) profiles.add(profileKey({ customerId: owner }));
        profiles.add(profileKey({ anonymousId }));
      }
    }
    return this.rewrite([...profiles]);
  }

  /**
   * Rewrites the rows of these profile keys: deleted first, then written from the projections
   * with a newer version, so that a key whose profile holds nothing any more stays deleted.
   */
  private async rewrite(all: string[]): Promise<number> {
    const keys = all.filter((key) => !this.excluded.has(key));
    const runs = runParams(await latestRowRuns(this.deps.latest));
    for (let start = 0; start < keys.length; start += KEYS_PER_WRITE) {
      const scope = keys.slice(start, start + KEYS_PER_WRITE);
      await this.store.command(
        PROFILE_ROWS_DELETE_SQL,
        { scope_keys: scope, version: this.nextVersion() },
        'read',
      );
      await this.store.command(
        profileRowsWriteSql({ scoped: true }),
        { ...runs, scope_keys: scope, version: this.nextVersion() },
        'read',
      );
    }
    return keys.length;
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
