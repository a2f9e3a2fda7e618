import type { SegmentRule } from '@rapport/schemas';
import { describe, expect, it } from 'vitest';
import { consentCondition, membershipRule } from './consent.js';
import { parseRule } from './parse-rule.js';

const orders: SegmentRule = { type: 'field', field: 'orders', op: 'gte', value: 2 };
const granted = (purpose: string) => ({
  type: 'field',
  field: `traits.consent_${purpose}`,
  op: 'eq',
  value: 'granted',
});

describe('membershipRule', () => {
  it('is the rule itself when no consent is required', () => {
    expect(membershipRule(orders, [])).toBe(orders);
    expect(membershipRule(orders, undefined)).toBe(orders);
  });

  it('ANDs a trait condition per purpose, among a top-level and’s own conditions', () => {
    expect(membershipRule(orders, ['marketing', 'analytics'])).toEqual({
      type: 'and',
      rules: [orders, granted('marketing'), granted('analytics')],
    });
    const both: SegmentRule = { type: 'and', rules: [orders, orders] };
    expect(membershipRule(both, ['marketing'])).toEqual({
      type: 'and',
      rules: [orders, orders, granted('marketing')],
    });
    expect(consentCondition('sms')).toEqual(granted('sms'));
  });

  it('wraps an and that has no room for more conditions, so the result still parses', () => {
    const full: SegmentRule = { type: 'and', rules: Array.from({ length: 50 }, () => orders) };
    const rule = membershipRule(full, ['marketing']);
    expect(rule).toEqual({ type: 'and', rules: [full, granted('marketing')] });
    expect(parseRule(rule).ok).toBe(true);
  });
});
