import { CONSENT_GRANTED, type FieldCondition, type SegmentRule } from '@rapport/schemas';

/** Rules one `and` may hold (segmentRuleSchema). */
const MAX_AND_RULES = 50;

/** The condition that a profile's latest `consent_<purpose>` trait is "granted". */
export function consentCondition(purpose: string): FieldCondition {
  return { type: 'field', field: `traits.consent_${purpose}`, op: 'eq', value: CONSENT_GRANTED };
}

/**
 * The rule a segment's membership follows: its own rule ANDed with a trait condition per
 * consent purpose it requires. Every evaluation (the segments job, streaming evaluation, live
 * evaluation, explain) compiles this one rule, so a profile without consent matches nowhere.
 * A top-level `and` takes the conditions among its own, so the rule gets no deeper.
 */
export function membershipRule(
  rule: SegmentRule,
  requiresConsent: readonly string[] | undefined,
): SegmentRule {
  if (!requiresConsent || requiresConsent.length === 0) return rule;
  const conditions = requiresConsent.map(consentCondition);
  if (rule.type === 'and' && rule.rules.length + conditions.length <= MAX_AND_RULES) {
    return { type: 'and', rules: [...rule.rules, ...conditions] };
  }
  return { type: 'and', rules: [rule, ...conditions] };
}
