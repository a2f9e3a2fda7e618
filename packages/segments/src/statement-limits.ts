import type { SegmentRule } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { compileRule } from './compile-rule.js';
import { matchingProfilesSql } from './matching-profiles-sql.js';
import type { RuleIssue } from './rule-issues.js';

/**
 * ClickHouse's documented default for `max_query_size`: the bytes of SQL text its parser takes.
 * Used when the engine cannot be asked (see StatementLimits).
 */
export const DEFAULT_MAX_QUERY_BYTES = 262_144;

/**
 * The values of a rule together (texts, lists), as JSON, at most this many bytes. They travel
 * beside the query as parameters: to a ClickHouse server in the URL, whose default limit
 * (`http_max_uri_size`, 1 MiB) leaves room for them even percent-encoded.
 */
export const MAX_RULE_VALUE_BYTES = 262_144;

/** Room for what surrounds the rule's SQL: the job's INSERT, the preview's count and sample. */
const STATEMENT_ALLOWANCE = 1_024;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const grouped = (n: number) => n.toLocaleString('en-US');

/**
 * Whether a valid rule's compiled statements fit the engine: the SQL text within
 * `maxQueryBytes` (measured on the largest of the job's snapshot query, the live one a
 * preview uses and the one streaming evaluation restricts to a few profiles, with room for the
 * statement around it), and its values within
 * MAX_RULE_VALUE_BYTES. Issues are at the root: the rule as a whole is too large.
 */
export function statementIssues(input: { rule: SegmentRule; maxQueryBytes: number }): RuleIssue[] {
  const compiled = compileRule(input.rule, { now: 0 });
  const scoped = compileRule(input.rule, { now: 0, scoped: true });
  const sql =
    Math.max(
      bytes(matchingProfilesSql(compiled.where, 'snapshot')),
      bytes(matchingProfilesSql(compiled.where, 'live')),
      bytes(matchingProfilesSql(scoped.where, 'live', { scoped: true })),
    ) + STATEMENT_ALLOWANCE;
  const issues: RuleIssue[] = [];
  if (sql > input.maxQueryBytes) {
    issues.push({
      path: '',
      message:
        `the rule compiles to a query of ${grouped(sql)} bytes; the store parses at most ` +
        `${grouped(input.maxQueryBytes)} (max_query_size): use fewer conditions or event ` +
        'filters (an event condition costs the most), or split it into segments referred to',
    });
  }
  const { rule_now: _now, ...values } = compiled.params;
  const valueBytes = bytes(JSON.stringify(Object.values(values)));
  if (valueBytes > MAX_RULE_VALUE_BYTES) {
    issues.push({
      path: '',
      message:
        `the rule's values come to ${grouped(valueBytes)} bytes; at most ` +
        `${grouped(MAX_RULE_VALUE_BYTES)} are allowed`,
    });
  }
  return issues;
}

/**
 * The engine's `max_query_size`, read from it once (`system.settings`, as the store's user
 * sees it) and kept, but never more than the documented default, which is also what the
 * engine cannot say. The embedded store's connections parse far more, for long lists of keys
 * written in; a rule's SQL that large would pass the engine's limit on its syntax tree
 * (`max_ast_elements`) and fail at its first evaluation instead of when it is saved.
 */
export class StatementLimits {
  private read: Promise<{ maxQueryBytes: number; source: 'engine' | 'default' }> | undefined;

  constructor(private readonly store: Store) {}

  limits(): Promise<{ maxQueryBytes: number; source: 'engine' | 'default' }> {
    this.read ??= this.store
      .query<{ value: string }>("SELECT value FROM system.settings WHERE name = 'max_query_size'")
      .then(([row]) => {
        const value = Number(row?.value);
        return Number.isSafeInteger(value) && value > 0
          ? { maxQueryBytes: Math.min(value, DEFAULT_MAX_QUERY_BYTES), source: 'engine' as const }
          : { maxQueryBytes: DEFAULT_MAX_QUERY_BYTES, source: 'default' as const };
      })
      .catch(() => {
        // Asked again next time: the store may be back.
        this.read = undefined;
        return { maxQueryBytes: DEFAULT_MAX_QUERY_BYTES, source: 'default' as const };
      });
    return this.read;
  }

  /** statementIssues with the engine's limit. */
  async issues(rule: SegmentRule): Promise<RuleIssue[]> {
    const { maxQueryBytes } = await this.limits();
    return statementIssues({ rule, maxQueryBytes });
  }
}
