import type { Metrics } from '@rapport/observability';
import type { Store } from '@rapport/store';
import type { RowMirror } from './row-mirror.js';
import { mirrorPage, type MembershipsOf } from './row-mirror-fill.js';

/**
 * Whether the rows (and the mirror) are trusted, and the copy of every row into the mirror after
 * a rebuild, a page a drain, that makes them so. Without a mirror they are never trusted.
 */
export class MirrorTrust {
  /** Rows (and the mirror) hold every profile as the projections do, but for keys known behind. */
  private isTrusted: boolean;
  /**
   * Where the copy of every row into the mirror after a rebuild has got to (the last key
   * copied), a page a drain; undefined when none is under way.
   */
  private copiedUpTo: string | undefined;
  /** The last page copied failed: the next is tried at the pace of rewrites, not at once. */
  copyFailed = false;

  constructor(
    private readonly store: Store,
    private readonly deps: {
      metrics?: Metrics;
      mirror?: RowMirror;
      membershipsOf?: MembershipsOf;
      /** Rows copied into the mirror a drain after a rebuild (default 10,000). */
      copyPageRows?: number;
      /** Keys being erased: never written again by this process. */
      excluded: ReadonlySet<string>;
    },
  ) {
    const { mirror } = deps;
    this.isTrusted = mirror?.trusted ?? false;
    if (mirror?.trusted) deps.metrics?.profileRowsMirrored.set(mirror.size());
  }

  get trusted(): boolean {
    return this.isTrusted;
  }

  /** Untrusts the rows, if trusted with a mirror; whether it did (a rebuild is then owed). */
  distrust(): boolean {
    if (!this.deps.mirror || !this.isTrusted) return false;
    this.isTrusted = false;
    this.deps.metrics?.profileRowsMirrored.set(0);
    return true;
  }

  /** The rows were rebuilt: they are copied into the mirror from the first. */
  beginCopy(): void {
    this.copiedUpTo = '';
  }

  /** Whether a copy into the mirror is under way. */
  get copying(): boolean {
    return this.copiedUpTo !== undefined;
  }

  /**
   * Copies the next page of rows into the mirror; after the last, the rows are trusted (keys
   * touched meanwhile are behind, and rewritten rows are copied as they are written).
   */
  async copyPage(): Promise<void> {
    const { mirror } = this.deps;
    const after = this.copiedUpTo;
    if (!mirror || after === undefined) return;
    const next = await mirrorPage(this.store, mirror, after, {
      excluded: this.deps.excluded,
      membershipsOf: this.deps.membershipsOf,
      pageRows: this.deps.copyPageRows,
    });
    this.copiedUpTo = next;
    if (next !== undefined) return;
    this.isTrusted = true;
    this.deps.metrics?.profileRowsMirrored.set(mirror.size());
  }
}
