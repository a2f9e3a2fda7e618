import { RFM_SEGMENT_NAMES } from '@rapport/schemas';
import { describe, expect, it } from 'vitest';
import { RFM_SEGMENTS, rfmSegment, rfmSegmentSql } from './rfm-segments.js';

describe('the RFM segment map', () => {
  it('puts every cell of the 5 × 5 grid in exactly one segment', () => {
    for (let r = 1; r <= 5; r++) {
      for (let f = 1; f <= 5; f++) {
        const owners = RFM_SEGMENTS.filter(
          (s) => r >= s.r[0] && r <= s.r[1] && f >= s.f[0] && f <= s.f[1],
        );
        expect(
          owners.map((s) => s.name),
          `R=${r} F=${f}`,
        ).toHaveLength(1);
      }
    }
  });

  it('uses every segment name rules can name, and only those', () => {
    expect(RFM_SEGMENTS.map((s) => s.name).sort()).toEqual([...RFM_SEGMENT_NAMES].sort());
  });

  it('names the corners as marketers expect', () => {
    expect(rfmSegment(5, 5)).toBe('Champions');
    expect(rfmSegment(5, 1)).toBe('New');
    expect(rfmSegment(1, 5)).toBe("Can't Lose Them");
    expect(rfmSegment(1, 1)).toBe('Lost');
    expect(rfmSegment(3, 3)).toBe('Need Attention');
  });

  it('renders the same map as SQL, quoting the apostrophe', () => {
    const sql = rfmSegmentSql();
    expect(sql).toContain("'Can\\'t Lose Them'");
    expect(sql.match(/BETWEEN/g)).toHaveLength(RFM_SEGMENTS.length * 2);
  });
});
