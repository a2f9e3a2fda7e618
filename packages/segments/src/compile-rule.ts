import type { SegmentCondition, SegmentRule } from '@rapport/schemas';
import { assertNever } from './assert-never.js';
import { compileEvent } from './compile-event.js';
import { compileField } from './compile-field.js';
import type { EventCounts } from './event-counts.js';
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

/**
 * Streaming evaluation: the rule of a segment evaluated in the same query, or undefined when
 * its membership is to be read (see compileRule's `inline`).
 */
type InlineSegments = (segmentId: string) => SegmentRule | undefined;

interface Context {
  params: SqlParams;
  inline?: InlineSegments | undefined;
  counts?: EventCounts | undefined;
  /** The segments being inlined, outermost first (a cycle reads membership instead). */
  within: readonly string[];
}

function compileSegment(node: SegmentCondition, context: Context): string {
  const { params } = context;
  const rule = context.within.includes(node.segmentId)
    ? undefined
    : context.inline?.(node.segmentId);
  const parsed = rule === undefined ? undefined : parseRule(rule);
  if (parsed?.ok) {
    return compileNode(parsed.rule, { ...context, within: [...context.within, node.segmentId] });
  }
  const id = params.bind('String', node.segmentId);
  // Streaming evaluation reads the membership it keeps; it evaluates the referred segment first.
  if (params.scoped) {
    return `profile_key IN (SELECT profile_key FROM segment_membership FINAL WHERE segment_id = ${id} AND exited_at IS NULL AND profile_key IN {scope_keys:Array(String)})`;
  }
  return `profile_key IN (SELECT profile_key FROM segment_results WHERE segment_id = ${id} AND run_id = ${latestEvaluationRunSql(id)})`;
}

function compileNode(node: SegmentRule, context: Context): string {
  const { params } = context;
  switch (node.type) {
    case 'and':
      return `(${node.rules.map((rule) => compileNode(rule, context)).join(' AND ')})`;
    case 'or':
      return `(${node.rules.map((rule) => compileNode(rule, context)).join(' OR ')})`;
    case 'not':
      return `(NOT ${compileNode(node.rule, context)})`;
    case 'field':
      return compileField(node, params);
    case 'event':
      return compileEvent(node, params, context.counts);
    case 'segment':
      return compileSegment(node, context);
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
    /**
     * `scoped` only: a `segment` condition on a segment for which this returns a rule (its
     * membership rule) is that rule compiled in place, rather than a read of its membership.
     * For segments evaluated in the same statement: their membership, once written, is their
     * rule's verdict, so the answer is the same with one query fewer.
     */
    inline?: InlineSegments;
    /**
     * `scoped` only: event conditions become columns of one read of the scope's events that
     * every rule of the statement shares (see EventCounts); the statement joins `counts.sql()`
     * (profileVerdictsSql does).
     */
    counts?: EventCounts;
  },
): CompiledRule {
  // Re-checked here so that no caller can compile a rule that skipped validation.
  const parsed = parseRule(rule);
  if (!parsed.ok) throw new InvalidRuleError(parsed.issues);
  const params = new SqlParams(options.now, options.scoped === true, options.paramPrefix ?? '');
  const inline = options.scoped === true ? options.inline : undefined;
  const counts = options.scoped === true ? options.counts : undefined;
  const where = compileNode(parsed.rule, { params, inline, counts, within: [] });
  return { where, params: params.values };
}
