import type { SegmentRule } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { insertRows } from '@rapport/store/testing';

/**
 * Stores a version of segment `id` as the segments routes save one (named `Segment <id>`); a
 * null rule stores its deletion.
 */
export async function defineSegment(
  store: Store,
  id: string,
  version: number,
  rule: SegmentRule | null,
): Promise<void> {
  await insertRows(store, 'segment_definitions', [
    {
      segment_id: id,
      version,
      name: `Segment ${id}`,
      description: '',
      rule: rule === null ? '' : JSON.stringify(rule),
      deleted: rule === null ? 1 : 0,
      created_at: Date.now(),
    },
  ]);
}
