import type { ProfileSegment } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { isoOf } from './profile-key.js';

/**
 * The segments a profile is in: its open membership intervals (a primary-key read: the table
 * is ordered by profile key), named by the current definitions (deleted segments left out),
 * each with the time of the segment's latest evaluation.
 *
 * The intervals are read first, on their own: ClickHouse inlines a CTE wherever it is used,
 * so one query would read them (with FINAL) once per use. The names and times follow only
 * for a profile in some segment.
 */
export async function readProfileSegments(
  store: Store,
  profileKey: string,
): Promise<ProfileSegment[]> {
  const open = await store.query<{ segment_id: string; since: number; entered_version: number }>(
    `SELECT segment_id, toUnixTimestamp64Milli(min(entered_at)) AS since,
            argMin(version, entered_at) AS entered_version
     FROM segment_membership FINAL
     WHERE profile_key = {profileKey:String} AND exited_at IS NULL
     GROUP BY segment_id`,
    { profileKey },
  );
  if (open.length === 0) return [];
  const ids = open.map((row) => row.segment_id);
  // Names and evaluation times in one round trip, without a join (a join costs more here).
  const rows = await store.query<{
    kind: 'definition' | 'evaluation';
    segment_id: string;
    current_name: string;
    current_deleted: number;
    latest_at: number;
  }>(
    `SELECT 'definition' AS kind, segment_id, argMax(name, version) AS current_name,
            argMax(deleted, version) AS current_deleted, toInt64(0) AS latest_at
     FROM segment_definitions WHERE segment_id IN {ids:Array(String)}
     GROUP BY segment_id
     UNION ALL
     SELECT 'evaluation', segment_id, '', 0, toUnixTimestamp64Milli(max(evaluated_at))
     FROM segment_evaluations WHERE segment_id IN {ids:Array(String)}
     GROUP BY segment_id`,
    { ids },
  );
  const definitions = rows.filter((row) => row.kind === 'definition');
  const evaluatedAt = new Map(
    rows
      .filter((row) => row.kind === 'evaluation')
      .map((row) => [row.segment_id, Number(row.latest_at)]),
  );
  const names = new Map(
    definitions
      .filter((row) => Number(row.current_deleted) === 0)
      .map((row) => [row.segment_id, row.current_name]),
  );
  return open
    .flatMap((row) => {
      const name = names.get(row.segment_id);
      const computedAt = evaluatedAt.get(row.segment_id);
      if (name === undefined || computedAt === undefined) return [];
      return [
        {
          id: row.segment_id,
          name,
          since: isoOf(Number(row.since)),
          version: Number(row.entered_version),
          computedAt: isoOf(computedAt),
        },
      ];
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
