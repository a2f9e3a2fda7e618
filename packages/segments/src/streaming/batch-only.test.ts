import type { SegmentRule } from '@rapport/schemas';
import { describe, expect, it } from 'vitest';
import type { EvaluableDefinition } from '../store/evaluation-order.js';
import { batchOnlyRule, batchOnlySegments } from './batch-only.js';

const bookBuyers: SegmentRule = {
  type: 'event',
  event: 'purchase',
  where: [{ field: 'properties.items.category', op: 'eq', value: 'Books' }],
};

const definition = (
  id: string,
  rule: SegmentRule,
  references: string[] = [],
): EvaluableDefinition => ({
  id,
  version: 1,
  name: id,
  deleted: false,
  rule,
  references,
});

describe('batch-only rules', () => {
  it('are those filtering event properties or context over all time', () => {
    expect(batchOnlyRule(bookBuyers)).toMatch(
      /filters on properties\.items\.category over all-time events/,
    );
    expect(
      batchOnlyRule({ type: 'not', rule: { type: 'and', rules: [bookBuyers] } }),
    ).toBeDefined();
    expect(
      batchOnlyRule({
        type: 'event',
        event: 'page_view',
        where: [{ field: 'context.page.path', op: 'eq', value: '/' }],
        within: { from: '2024-01-01T00:00:00Z', to: '2024-02-01T00:00:00Z' },
      }),
    ).toBeDefined();
  });

  it('are not those with a lastDays window, on event columns, or on profile fields', () => {
    expect(batchOnlyRule({ ...bookBuyers, within: { lastDays: 30 } })).toBeUndefined();
    expect(
      batchOnlyRule({
        type: 'event',
        event: 'purchase',
        where: [{ field: 'amount', op: 'gt', value: 5 }],
      }),
    ).toBeUndefined();
    expect(batchOnlyRule({ type: 'field', field: 'orders', op: 'gte', value: 2 })).toBeUndefined();
  });

  it('spread to the segments referring to one', () => {
    const reasons = batchOnlySegments([
      definition('fans', { type: 'segment', segmentId: 'books' }, ['books']),
      definition('books', bookBuyers),
      definition('buyers', { type: 'event', event: 'purchase' }),
    ]);
    expect([...reasons.keys()].sort()).toEqual(['books', 'fans']);
    expect(reasons.get('fans')).toBe('it refers to segment "books", which is batch-only');
  });
});
