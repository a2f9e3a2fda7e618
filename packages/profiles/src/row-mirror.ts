import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProfileSegment } from '@rapport/schemas';
import type { StoreOpening } from '@rapport/store';
import { open, type Database, type RootDatabase } from 'lmdb';
import { checkSeal, removeSeal, writeSeal, type SealCheck } from './row-mirror-seal.js';

/** A profile's stored row as the mirror keeps it: what a read of the row gives, at any time. */
export interface MirroredRow {
  /** The row's version in `profile_rows`: an older one never replaces a newer one. */
  version: number;
  payload: string;
  /** Its last activity (epoch ms; null without events): where the at-read fields change. */
  lastSeenMs: number | null;
  /** The fields computed at the time of a read (the lifecycle stage) up to its lapse… */
  active: Record<string, unknown>;
  /** …and once its last activity is further back than the lapse. */
  lapsed: Record<string, unknown>;
  /** Its open segment memberships as stored (names and times blank), when they were read. */
  segments?: ProfileSegment[];
}

/** What the last process to hold the mirror left: the opening it closed as, and rows it owed. */
interface MirrorState {
  closedBy: string | null;
  /** What its rows were written by (see `open`). */
  shape: string;
  /** Profile keys whose rows were behind when it closed: rewritten first. */
  pending: string[];
}

const FILE = 'profile-mirror.mdb';

/** The file, always with the same options: values written compressed are read so. */
const openFile = (path: string) => open({ path, noSubdir: true, maxDbs: 4, compression: true });

/**
 * A copy of `profile_rows` on the local disk, read by key in microseconds (LMDB, memory-mapped),
 * for the embedded engine, the one process that writes its store. It holds only what this
 * process (or the one before it, closed cleanly with nobody opening the store since) wrote
 * after rewriting those rows, so it is exactly as current as the rows; the caller knows which
 * of them are behind (keys touched since their rewrite). Anything else — a crash, another
 * command opening the store, a file whose bytes are not those the clean close sealed (see
 * row-mirror-seal.ts) — and it opens empty, untrusted, until the rows are rebuilt.
 */
export class RowMirror {
  /** Whether its rows (and the store's) were current, but for `pending`, when it opened. */
  readonly trusted: boolean;
  readonly pending: readonly string[];
  /** 'damaged': the file a clean close handed on had other bytes at the opening, deleted unread. */
  readonly seal: SealCheck;
  private root: RootDatabase | undefined;
  private rows: Database<MirroredRow, string> | undefined;
  private meta: Database<MirrorState, string> | undefined;

  private constructor(
    private readonly path: string,
    private readonly opening: StoreOpening,
    private readonly shape: string,
    trusted: boolean,
    pending: readonly string[],
    seal: SealCheck,
  ) {
    this.trusted = trusted;
    this.pending = pending;
    this.seal = seal;
  }

  /**
   * The mirror of the store opened as `opening` (a file in its data directory). It is trusted
   * when the opening before this one closed it cleanly, with the same `shape` (say, a hash of
   * the SQL that writes the rows), its file unchanged since (its seal), and `fresh` is not set
   * (a migration ran since).
   */
  static async open(
    opening: StoreOpening,
    options: { shape: string; fresh?: boolean },
  ): Promise<RowMirror> {
    const path = join(opening.dataDir, FILE);
    let state: MirrorState | undefined;
    let seal: SealCheck = 'unsealed';
    if (options.fresh === true) await removeSeal(path);
    else seal = await checkSeal(path);
    // Only a sealed file is opened to read its state: another one may crash the process.
    if (seal === 'sealed') {
      try {
        const probe = openFile(path);
        state = probe.openDB<MirrorState, string>({ name: 'meta' }).get('state');
        await probe.close();
      } catch {
        // A file it cannot read is not trusted: it is replaced below.
        state = undefined;
      }
    }
    const trusted =
      options.fresh !== true &&
      state !== undefined &&
      state.closedBy !== null &&
      state.closedBy === opening.previous &&
      state.shape === options.shape;
    // An untrusted file goes whole, the bytes of what it held with it.
    if (!trusted) await rm(path, { force: true });
    const mirror = new RowMirror(
      path,
      opening,
      options.shape,
      trusted,
      trusted ? (state?.pending ?? []) : [],
      seal,
    );
    mirror.attach();
    // Until it closes cleanly, a crash leaves it untrusted.
    mirror.meta?.putSync('state', { closedBy: null, shape: options.shape, pending: [] });
    return mirror;
  }

  /** How many rows it holds. */
  size(): number {
    return this.rows?.getCount() ?? 0;
  }

  /** The row of `key`; undefined when it holds none, or cannot read it (the store is read). */
  get(key: string): MirroredRow | undefined {
    try {
      return this.rows?.get(key);
    } catch {
      return undefined;
    }
  }

  /** Writes rows, each only over an older version of itself; none of `excluded`. */
  async put(rows: Iterable<[string, MirroredRow]>, excluded: ReadonlySet<string>): Promise<void> {
    const db = this.rows;
    if (!db) return;
    await db.transaction(() => {
      for (const [key, row] of rows) {
        if (excluded.has(key)) continue;
        const held = db.get(key);
        if (held === undefined || held.version < row.version) void db.put(key, row);
      }
    });
  }

  /** Replaces the memberships of rows it holds (a key it does not hold is left out). */
  async putSegments(memberships: ReadonlyMap<string, ProfileSegment[]>, keys: Iterable<string>) {
    const db = this.rows;
    if (!db) return;
    await db.transaction(() => {
      for (const key of keys) {
        const held = db.get(key);
        if (held) void db.put(key, { ...held, segments: memberships.get(key) ?? [] });
      }
    });
  }

  async delete(keys: Iterable<string>): Promise<void> {
    const db = this.rows;
    if (!db) return;
    await db.transaction(() => {
      for (const key of keys) void db.remove(key);
    });
  }

  /**
   * Rewrites the file with only the rows it holds now: LMDB reuses freed pages rather than
   * clearing them, so after an erasure the removed rows' bytes would otherwise stay on disk.
   * Reads find nothing while the copy is swapped in.
   */
  async compact(): Promise<void> {
    const root = this.root;
    if (!root) return;
    const copy = `${this.path}.compact`;
    await rm(copy, { force: true });
    await root.backup(copy, true);
    this.detach();
    await root.close();
    await rename(copy, this.path);
    this.attach();
  }

  /**
   * Closes; given the keys whose rows are behind (when the rows are trusted), seals the file,
   * and the next process trusts it and rewrites those first.
   */
  async close(pending: Iterable<string> | undefined): Promise<void> {
    const root = this.root;
    if (!root) return;
    if (pending) {
      this.meta?.putSync('state', {
        closedBy: this.opening.token,
        shape: this.shape,
        pending: [...pending],
      });
    }
    this.detach();
    await root.close();
    // Unsealed (say, the disk is full), the next start only rebuilds the rows.
    if (pending) await writeSeal(this.path).catch(() => undefined);
  }

  private attach(): void {
    const root = openFile(this.path);
    this.root = root;
    this.rows = root.openDB<MirroredRow, string>({ name: 'rows' });
    this.meta = root.openDB<MirrorState, string>({ name: 'meta' });
  }

  private detach(): void {
    this.root = undefined;
    this.rows = undefined;
    this.meta = undefined;
  }
}
