import type { ProfileSegment } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { isoOf } from './profile-key.js';
import type { SegmentDirectory } from './segment-directory.js';

/**
 * The segments a profile is in: its open membership intervals (a primary-key read: the table
 * is ordered by profile key), named and timed by the directory of current segments (deleted
 * ones left out), in id order.
 */
export async function readProfileSegments(
  store: Store,
  directory: SegmentDirectory,
  profileKey: string,
): Promise<ProfileSegment[]> {
  const open = await store.query<{ segment_id: string; since: number; entered_version: number }>(
    `SELECT segment_id, toUnixTimestamp64Milli(min(entered_at)) AS since,
            argMin(version, entered_at) AS entered_version
     FROM segment_membership FINAL
     WHERE profile_key = {profileKey:String} AND exited_at IS NULL
     GROUP BY segment_id
     ORDER BY segment_id`,
    { profileKey },
  );
  return directory.describe(
    open.map((row) => ({
      id: row.segment_id,
      name: '',
      since: isoOf(Number(row.since)),
      version: Number(row.entered_version),
      computedAt: '',
    })),
  );
}
