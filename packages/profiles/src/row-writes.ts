import type { LatestRuns } from '@rapport/runs';
import { cancellable, type CancellableStore, type Store } from '@rapport/store';
import { linkedScope, type LinkedScope } from './linked-scope.js';
import {
  PROFILE_ROWS_DELETE_SQL,
  PROFILE_ROWS_STALE_SQL,
  profileRowsWriteSql,
} from './profile-rows-sql.js';
import type { RowMirror } from './row-mirror.js';
import { mirrorRows, type MembershipsOf } from './row-mirror-fill.js';
import { scopeParams } from './scope-params.js';
import type { RowRuns } from './stored-row.js';

/**
 * Profile keys rewritten per statement. A server takes the scope in the URL: 1,000 stay far
 * below its limit. The embedded store takes 5,000, which cost half as much a key (measured at
 * 100,000 people: 132–163 ms for 1,000 keys, 335–369 ms for 5,000).
 */
const KEYS_PER_WRITE = { server: 1_000, embedded: 5_000 };

/** The jobs whose results rows hold. */
export const RESULT_JOBS = new Set(['rfm', 'clv', 'clusters']);

/**
 * The statements that write `profile_rows` (see ProfileRows): every row at once, or the rows of
 * some profiles, each stamped with a newer version, and copied into the mirror when there is one.
 */
export class RowWrites {
  /** Profile keys rewritten per statement (KEYS_PER_WRITE). */
  readonly keysPerWrite: number;
  private lastVersion = 0;
  /**
   * The rebuild's statements, which a close cancels: at a million people the first takes tens
   * of seconds, more than a stop's grace.
   */
  private readonly rebuilds: CancellableStore;

  constructor(
    private readonly store: Store,
    private readonly deps: {
      latest: LatestRuns;
      mirror?: RowMirror;
      membershipsOf?: MembershipsOf;
      /** Keys being erased: never written again by this process. */
      excluded: ReadonlySet<string>;
    },
  ) {
    this.keysPerWrite = KEYS_PER_WRITE[store.mode === 'embedded' ? 'embedded' : 'server'];
    this.rebuilds = cancellable(store, 'rapport:profile-rows-rebuild');
  }

  /**
   * Every profile's row written anew and, with a mirror, rows of profiles that hold nothing any
   * more deleted.
   */
  async rebuildAll(): Promise<void> {
    const runs = runParams(await latestRowRuns(this.deps.latest));
    const rebuilt = this.nextVersion();
    // Statements of tens of seconds at a million profiles: on the heavy lane, so that look-ups
    // (and the readiness check) never queue behind them.
    await this.rebuilds.command(
      profileRowsWriteSql({ scoped: false }),
      { ...runs, version: rebuilt, excluded_keys: [...this.deps.excluded] },
      'heavy',
    );
    if (!this.deps.mirror) return;
    await this.rebuilds.command(
      PROFILE_ROWS_STALE_SQL,
      { rebuilt, version: this.nextVersion() },
      'heavy',
    );
  }

  /**
   * Cancels a rebuild's statement under way, and any rebuild after (it then fails: the rows
   * stay untrusted, and the next start rebuilds them). Does not wait.
   */
  cancelRebuild(): Promise<void> {
    return this.rebuilds.cancel();
  }

  /**
   * The profiles events under these keys belong to (see linkedScope): an owned anonymous id's
   * is its owner's, and every customer it was ever linked to is rewritten too (a device that
   * moved leaves the row of its last owner, which lists it); the anonymous id's own row, from
   * when it was a visitor, goes too.
   */
  profilesOf(keys: string[]): Promise<LinkedScope> {
    return linkedScope(this.store, keys);
  }

  /**
   * Rewrites the rows of these profile keys: deleted first, then written from the projections
   * with a newer version, so that a key whose profile holds nothing any more stays deleted.
   */
  async rewrite(all: string[], linked?: LinkedScope['linked']): Promise<number> {
    const keys = all.filter((key) => !this.deps.excluded.has(key));
    const runs = runParams(await latestRowRuns(this.deps.latest));
    for (let start = 0; start < keys.length; start += this.keysPerWrite) {
      const scope = keys.slice(start, start + this.keysPerWrite);
      // On the background lane: a read (an evaluation's included) never waits behind it.
      await this.store.command(
        PROFILE_ROWS_DELETE_SQL,
        { scope_keys: scope, version: this.nextVersion() },
        'background',
      );
      await this.store.command(
        profileRowsWriteSql({ scoped: true }),
        {
          ...runs,
          ...(await scopeParams(this.store, scope, 'background', linked)),
          version: this.nextVersion(),
        },
        'background',
      );
      if (this.deps.mirror) {
        await mirrorRows(this.store, this.deps.mirror, scope, {
          excluded: this.deps.excluded,
          membershipsOf: this.deps.membershipsOf,
        });
      }
    }
    return keys.length;
  }

  /** Increasing versions, in microseconds of the clock: a later rewrite always wins. */
  private nextVersion(): number {
    this.lastVersion = Math.max(Date.now() * 1000, this.lastVersion + 1);
    return this.lastVersion;
  }
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
