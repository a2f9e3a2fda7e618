import type { SegmentRule } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { openTestStore } from '@rapport/store/testing';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_QUERY_BYTES,
  MAX_RULE_VALUE_BYTES,
  StatementLimits,
  statementIssues,
} from './statement-limits.js';

const listOf = (count: number, length: number): SegmentRule => ({
  type: 'or',
  rules: Array.from({ length: count }, (_, node) => ({
    type: 'field',
    field: 'traits.plan',
    op: 'in',
    value: Array.from({ length: 1000 }, (_, i) => `${node}-${i}-`.padEnd(length, 'x')),
  })),
});

describe('statementIssues', () => {
  it('passes a rule of ordinary size', () => {
    const rule: SegmentRule = { type: 'field', field: 'orders', op: 'gte', value: 2 };
    expect(statementIssues({ rule, maxQueryBytes: DEFAULT_MAX_QUERY_BYTES })).toEqual([]);
  });

  it('measures the compiled SQL against the limit it is given', () => {
    const rule: SegmentRule = { type: 'event', event: 'purchase' };
    expect(statementIssues({ rule, maxQueryBytes: DEFAULT_MAX_QUERY_BYTES })).toEqual([]);
    expect(statementIssues({ rule, maxQueryBytes: 2_000 })).toEqual([
      { path: '', message: expect.stringMatching(/bytes; the store parses at most 2,000/) },
    ]);
  });

  it('refuses values that come to more than MAX_RULE_VALUE_BYTES together', () => {
    expect(statementIssues({ rule: listOf(2, 100), maxQueryBytes: 1e6 })).toEqual([]);
    const [issue] = statementIssues({ rule: listOf(3, 100), maxQueryBytes: 1e6 });
    expect(issue?.message).toMatch(`at most ${MAX_RULE_VALUE_BYTES.toLocaleString('en-US')}`);
  });
});

describe('StatementLimits', () => {
  it("reads max_query_size from the engine, and falls back to ClickHouse's default", async () => {
    const test = await openTestStore();
    try {
      expect(await new StatementLimits(test.store).limits()).toEqual({
        maxQueryBytes: 262_144,
        source: 'engine',
      });
    } finally {
      await test.dispose();
    }
    const down = { query: () => Promise.reject(new Error('down')) } as unknown as Store;
    expect(await new StatementLimits(down).limits()).toEqual({
      maxQueryBytes: DEFAULT_MAX_QUERY_BYTES,
      source: 'default',
    });
  });
});
