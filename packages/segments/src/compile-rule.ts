import type { SegmentCondition, SegmentRule } from '@rapport/schemas';
import { assertNever } from './assert-never.js';
import { compileEvent } from './compile-event.js';
import { compileField } from './compile-field.js';
import { parseRule } from './parse-rule.js';
import { InvalidRuleError } from './rule-issues.js';
import { SqlParams } from './sql-params.js';
import { latestEvaluationRunSql } from './store/evaluations.js';

export interface CompiledRule {
  /** A boolean expression over the columns of `profile_features` (unqualified). */
  where: string;
  /** Values of the placeholders in `where`: `rule_now` and `rule_p0`, `rule_p1`, …. */
  params: Record<string, unknown>;
}

function compileSegment(node: SegmentCondition, params: SqlParams): string {
  const id = params.bind('String', node.segmentId);
  // Streaming evaluation reads the membership it keeps; it evaluates the referred segment first.
  if (params.scoped) {
    return `profile_key IN (SELECT profile_key FROM segment_membership FINAL WHERE segment_id = ${id} AND exited_at IS NULL AND profile_key IN {scope_keys:Array(String)})`;
  }
  return `profile_key IN (SELECT profile_key FROM segment_results WHERE segment_id = ${id} AND run_id = ${latestEvaluationRunSql(id)})`;
}

function compileNode(node: SegmentRule, params: SqlParams): string {
  switch (node.type) {
    case 'and':
      return `(${node.rules.map((rule) => compileNode(rule, params)).join(' AND ')})`;
    case 'or':
      return `(${node.rules.map((rule) => compileNode(rule, params)).join(' OR ')})`;
    case 'not':
      return `(NOT ${compileNode(node.rule, params)})`;
    case 'field':
      return compileField(node, params);
    case 'event':
      return compileEvent(node, params);
    case 'segment':
      return compileSegment(node, params);
    default:
      return assertNever(node);
  }
}

/**
 * Compiles a rule to a predicate over `profile_features`. Every value, field name of a trait
 * and property path is a bound parameter; catalogue fields map to fixed SQL. Every condition
 * is true or false, never NULL (two-valued logic): a condition on a missing value is false,
 * and its `not` is true.
 *
 * @throws InvalidRuleError when the rule does not pass `parseRule`.
 */
export function compileRule(
  rule: SegmentRule,
  options: {
    now: number;
    /**
     * For streaming evaluation: the same predicate, with its reads of events restricted to the
     * profiles `{scope_keys:Array(String)}` names, and `segment` conditions read from the
     * open membership intervals rather than the latest run's results. Default false.
     */
    scoped?: boolean;
    /** Put in the placeholders' names (`rule_<prefix>p0`), for several rules in one query. */
    paramPrefix?: string;
  },
): CompiledRule {
  // Re-checked here so that no caller can compile a rule that skipped validation.
  const parsed = parseRule(rule);
  if (!parsed.ok) throw new InvalidRuleError(parsed.issues);
  const params = new SqlParams(options.now, options.scoped === true, options.paramPrefix ?? '');
  const where = compileNode(parsed.rule, params);
  return { where, params: params.values };
}
