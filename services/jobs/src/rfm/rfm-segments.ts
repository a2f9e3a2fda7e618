import type { RfmSegmentName } from '@rapport/schemas';

/**
 * The standard RFM segment map on the recency (R) × frequency (F) grid. Every cell of the
 * 5 × 5 grid belongs to exactly one segment (a test checks it).
 *
 *          F=1               F=2                 F=3                 F=4        F=5
 *   R=5    New               Potential Loyalist  Potential Loyalist  Champions  Champions
 *   R=4    Promising         Potential Loyalist  Potential Loyalist  Loyal      Loyal
 *   R=3    About to Sleep    About to Sleep      Need Attention      Loyal      Loyal
 *   R=2    Hibernating       Hibernating         At Risk             At Risk    Can't Lose Them
 *   R=1    Lost              Lost                At Risk             At Risk    Can't Lose Them
 */
export const RFM_SEGMENTS = [
  { name: 'Champions', r: [5, 5], f: [4, 5] },
  { name: 'Loyal', r: [3, 4], f: [4, 5] },
  { name: 'Potential Loyalist', r: [4, 5], f: [2, 3] },
  { name: 'New', r: [5, 5], f: [1, 1] },
  { name: 'Promising', r: [4, 4], f: [1, 1] },
  { name: 'Need Attention', r: [3, 3], f: [3, 3] },
  { name: 'About to Sleep', r: [3, 3], f: [1, 2] },
  { name: 'At Risk', r: [1, 2], f: [3, 4] },
  { name: "Can't Lose Them", r: [1, 2], f: [5, 5] },
  { name: 'Hibernating', r: [2, 2], f: [1, 2] },
  { name: 'Lost', r: [1, 1], f: [1, 2] },
] as const satisfies readonly {
  name: RfmSegmentName;
  r: readonly number[];
  f: readonly number[];
}[];

export type RfmSegment = (typeof RFM_SEGMENTS)[number]['name'];

export function rfmSegment(r: number, f: number): RfmSegment {
  const found = RFM_SEGMENTS.find(
    (segment) => r >= segment.r[0] && r <= segment.r[1] && f >= segment.f[0] && f <= segment.f[1],
  );
  if (!found) throw new Error(`no RFM segment for R=${r} F=${f}`);
  return found.name;
}

/** The same map as a ClickHouse expression over columns `r` and `f` (constant text only). */
export function rfmSegmentSql(): string {
  const branches = RFM_SEGMENTS.map(
    (segment) =>
      `r BETWEEN ${segment.r[0]} AND ${segment.r[1]} AND f BETWEEN ${segment.f[0]} AND ${segment.f[1]}, '${segment.name.replace("'", "\\'")}'`,
  );
  return `multiIf(${branches.join(', ')}, '')`;
}
