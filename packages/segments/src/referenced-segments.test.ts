import type { SegmentRule } from '@rapport/schemas';
import { describe, expect, it } from 'vitest';
import { referencedSegments } from './referenced-segments.js';

describe('referencedSegments', () => {
  it('lists each segment once, in the order found', () => {
    const rule: SegmentRule = {
      type: 'and',
      rules: [
        { type: 'segment', segmentId: 'b' },
        { type: 'field', field: 'orders', op: 'gt', value: 1 },
        {
          type: 'or',
          rules: [
            { type: 'not', rule: { type: 'segment', segmentId: 'a' } },
            { type: 'segment', segmentId: 'b' },
          ],
        },
        { type: 'event', event: 'purchase' },
      ],
    };
    expect(referencedSegments(rule)).toEqual(['b', 'a']);
  });

  it('is empty for a rule without segment conditions', () => {
    expect(referencedSegments({ type: 'field', field: 'orders', op: 'gt', value: 1 })).toEqual([]);
  });
});
