import { createHash } from 'node:crypto';
import type { ProfileSegment } from '@rapport/schemas';
import type { Store, StoreOpening } from '@rapport/store';
import { AT_READ_COLUMNS, profileRowsMirrorSql, profileRowsWriteSql } from './profile-rows-sql.js';
import { RowMirror, type MirroredRow } from './row-mirror.js';

/** The open segment memberships of profiles, as stored (see ProfileSegments). */
export type MembershipsOf = (keys: readonly string[]) => Promise<Map<string, ProfileSegment[]>>;

/** Rows exported from the store per statement when the whole mirror is filled. */
const PAGE_ROWS = 10_000;

/** A time before any activity and one after all of it (epoch ms), for the at-read fields. */
const TIMES = { active: -1, lapsed: 8.64e15, lapsedMs: 0 };

type MirrorSqlRow = Record<string, unknown> & {
  profile_key: string;
  version: unknown;
  payload: string;
  last_seen_ms: unknown;
};

function mirroredOf(
  row: MirrorSqlRow,
  memberships: Map<string, ProfileSegment[]> | undefined,
): MirroredRow {
  const active: Record<string, unknown> = {};
  const lapsed: Record<string, unknown> = {};
  for (const column of AT_READ_COLUMNS) {
    active[column] = row[`active_${column}`];
    lapsed[column] = row[`lapsed_${column}`];
  }
  return {
    version: Number(row.version),
    payload: row.payload,
    lastSeenMs: row.last_seen_ms === null ? null : Number(row.last_seen_ms),
    active,
    lapsed,
    ...(memberships ? { segments: memberships.get(row.profile_key) ?? [] } : {}),
  };
}

/** The at-read fields of a mirrored row at `now`, for a lapse of `lapsedMs`. */
export function atReadOf(row: MirroredRow, at: { now: number; lapsedMs: number }) {
  return row.lastSeenMs !== null && row.lastSeenMs < at.now - at.lapsedMs ? row.lapsed : row.active;
}

/**
 * Copies the rows of these profile keys, as the store holds them now, into the mirror; a key
 * with no row (its profile holds nothing any more) leaves it.
 */
export async function mirrorRows(
  store: Store,
  mirror: RowMirror,
  keys: readonly string[],
  options: { excluded: ReadonlySet<string>; membershipsOf: MembershipsOf | undefined },
): Promise<void> {
  const [rows, memberships] = await Promise.all([
    store.query<MirrorSqlRow>(
      profileRowsMirrorSql({ scoped: true }),
      { ...TIMES, scope_keys: keys },
      'background',
    ),
    options.membershipsOf?.(keys),
  ]);
  const found = new Set(rows.map((row) => row.profile_key));
  await mirror.delete(keys.filter((key) => !found.has(key)));
  await mirror.put(
    rows.map((row) => [row.profile_key, mirroredOf(row, memberships)]),
    options.excluded,
  );
}

/**
 * Copies the page of rows after `after` (in key order) into the mirror; the last key copied,
 * or undefined after the last page.
 */
export async function mirrorPage(
  store: Store,
  mirror: RowMirror,
  after: string,
  options: {
    excluded: ReadonlySet<string>;
    membershipsOf: MembershipsOf | undefined;
    pageRows?: number | undefined;
  },
): Promise<string | undefined> {
  const limit = options.pageRows ?? PAGE_ROWS;
  const page = await store.query<MirrorSqlRow>(
    profileRowsMirrorSql({ scoped: false }),
    { ...TIMES, after, limit },
    'heavy',
  );
  const memberships = await options.membershipsOf?.(page.map((row) => row.profile_key));
  await mirror.put(
    page.map((row) => [row.profile_key, mirroredOf(row, memberships)]),
    options.excluded,
  );
  return page.length < limit ? undefined : page.at(-1)?.profile_key;
}

/**
 * The mirror of the store opened as `opening`; trusted only if its rows were written by the
 * SQL of this version (a new field or stage means new rows) and no migration ran (`fresh`).
 */
export function openRowMirror(opening: StoreOpening, options: { fresh: boolean }) {
  const shape = createHash('sha256')
    .update(profileRowsWriteSql({ scoped: true }))
    .update(profileRowsMirrorSql({ scoped: true }))
    .digest('hex');
  return RowMirror.open(opening, { shape, fresh: options.fresh });
}
