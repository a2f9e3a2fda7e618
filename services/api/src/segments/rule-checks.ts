import { HttpError, type HttpIssue } from '@rapport/http';
import type { SegmentRule } from '@rapport/schemas';
import {
  membershipRule,
  parseRule,
  referenceIssues,
  type StatementLimits,
} from '@rapport/segments';

/** Issues named in the message; all of them are in `issues`. */
const SHOWN = 3;

function refusal(lead: string, issues: HttpIssue[]): HttpError {
  const listed = issues
    .slice(0, SHOWN)
    .map((issue) => `${issue.path.slice(1)}: ${issue.message}`)
    .join('; ');
  const more = issues.length > SHOWN ? ` (and ${issues.length - SHOWN} more)` : '';
  return new HttpError(400, `${lead}${listed}${more}`, {}, issues);
}

/** The rule of a request body, or a 400 pointing at every node at fault (under `/rule`). */
export function parseRuleOrRefuse(input: unknown): SegmentRule {
  const parsed = parseRule(input);
  if (parsed.ok) return parsed.rule;
  const issues = parsed.issues.map((issue) => ({
    path: `/rule${issue.path}`,
    message: issue.message,
  }));
  throw refusal('invalid rule: ', issues);
}

/**
 * The rule membership follows (the rule ANDed with the consent it requires), or a 400 when
 * the added conditions take it past the rule's limits.
 */
export function membershipRuleOrRefuse(
  rule: SegmentRule,
  requiresConsent: readonly string[],
): SegmentRule {
  const parsed = parseRule(membershipRule(rule, requiresConsent));
  if (parsed.ok) return parsed.rule;
  const issues = parsed.issues.map((issue) => ({
    path: '/requiresConsent',
    message: `with a condition per required purpose, the rule breaks a limit: ${issue.message}`,
  }));
  throw refusal('the rule cannot take the consent it requires: ', issues);
}

/** Refuses (400) a rule whose segment references cannot be used (see referenceIssues). */
export function checkReferences(input: Parameters<typeof referenceIssues>[0]): void {
  const issues = referenceIssues(input).map((issue) => ({
    path: `/rule${issue.path}`,
    message: issue.message,
  }));
  if (issues.length > 0) throw refusal('the rule refers to segments it cannot use: ', issues);
}

/**
 * Refuses (400) a rule whose compiled query the store would not take: past its
 * `max_query_size`, or with too many bytes of values. Checked when a rule is saved or
 * previewed, so that no saved rule fails the segments run for its size.
 */
export async function checkStatement(rule: SegmentRule, limits: StatementLimits): Promise<void> {
  const issues = (await limits.issues(rule)).map((issue) => ({
    path: `/rule${issue.path}`,
    message: issue.message,
  }));
  if (issues.length > 0) throw refusal('the rule is too large for the store: ', issues);
}
