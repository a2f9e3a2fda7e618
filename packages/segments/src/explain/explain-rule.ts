import { profileRowsSql, scopeParams, type ScopeParams } from '@rapport/profiles';
import type { SegmentRule } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { assertNever } from '../assert-never.js';
import { compileEventCount } from '../compile-event.js';
import { compileRule } from '../compile-rule.js';
import { catalogueField, traitName } from '../field-catalogue.js';
import { matchingProfilesSql } from '../matching-profiles-sql.js';
import { SqlParams } from '../sql-params.js';
import type { ProfileRowParams } from '../streaming/evaluate-profiles.js';

/** One node of a rule with what it found for one profile. */
export type ExplainedNode =
  | {
      type: 'and' | 'or';
      verdict: boolean;
      rules: ExplainedNode[];
    }
  | { type: 'not'; verdict: boolean; rule: ExplainedNode }
  | {
      type: 'field' | 'event' | 'segment';
      verdict: boolean;
      /** The condition as written. */
      condition: SegmentRule;
      /**
       * What the condition tested: the field's value (null when missing), the number of
       * matching events in the window, or whether the profile is in the segment referred to.
       */
      value: unknown;
    };

interface ExplainInput {
  store: Store;
  rule: SegmentRule;
  profileKey: string;
  at: number;
  profile: ProfileRowParams;
  /** The profile's scope (scopeParams), read once for every node of one explanation. */
  scope?: Promise<ScopeParams>;
}

const rowParams = async (input: ExplainInput) => ({
  ...input.profile,
  runId: '',
  now: input.at,
  ...(await (input.scope ?? scopeParams(input.store, [input.profileKey]))),
});

/** Whether the profile matches a rule, by the rule the segments job compiles, scoped to it. */
export async function profileMatches(input: ExplainInput): Promise<boolean> {
  const compiled = compileRule(input.rule, { now: input.at, scoped: true });
  const rows = await input.store.query<{ profile_key: string }>(
    matchingProfilesSql(compiled.where, 'live', { scoped: true }),
    { ...compiled.params, ...(await rowParams(input)) },
  );
  return rows.length > 0;
}

/** The value a leaf condition tests, for the profile. */
async function leafValue(input: ExplainInput): Promise<unknown> {
  const { rule, store } = input;
  const params = new SqlParams(input.at, true);
  if (rule.type === 'event') {
    const [row] = await store.query<{ n: number }>(
      `SELECT n FROM (${compileEventCount(rule, params)}) WHERE profile_key = {explain_key:String}`,
      { ...params.values, ...(await rowParams(input)), explain_key: input.profileKey },
    );
    return Number(row?.n ?? 0);
  }
  if (rule.type !== 'field') return undefined;
  const trait = traitName(rule.field);
  const sql =
    trait === undefined
      ? catalogueField(rule.field)?.sql
      : `traits[${params.bind('String', trait)}]`;
  if (sql === undefined) return null;
  const [row] = await store.query<{ value: unknown; present: number }>(
    `SELECT ${sql} AS value, ${trait === undefined ? '1' : `mapContains(traits, ${params.bind('String', trait)})`} AS present
     FROM (${profileRowsSql({ scoped: true })}) WHERE profile_key = {explain_key:String}`,
    { ...params.values, ...(await rowParams(input)), explain_key: input.profileKey },
  );
  if (!row || !Number(row.present)) return null;
  if (trait === undefined) return row.value ?? null;
  try {
    return JSON.parse(String(row.value)) as unknown;
  } catch {
    return row.value;
  }
}

/**
 * Each node of a rule with its verdict for one profile and, for a condition, the value it
 * tested. Leaves are judged by the compiled rule (the one the segments job runs) restricted
 * to the profile; `and`, `or` and `not` combine them as the compiled rule does (every
 * condition is true or false, never unknown). `segment` conditions read current membership.
 */
export async function explainRule(input_: ExplainInput): Promise<ExplainedNode> {
  const input = {
    ...input_,
    scope: input_.scope ?? scopeParams(input_.store, [input_.profileKey]),
  };
  // Awaited by the nodes; a failed read fails the explanation there, not unhandled here.
  input.scope.catch(() => undefined);
  const { rule } = input;
  switch (rule.type) {
    case 'and':
    case 'or': {
      const rules = await Promise.all(
        rule.rules.map((child) => explainRule({ ...input, rule: child })),
      );
      const verdict =
        rule.type === 'and' ? rules.every((r) => r.verdict) : rules.some((r) => r.verdict);
      return { type: rule.type, verdict, rules };
    }
    case 'not': {
      const child = await explainRule({ ...input, rule: rule.rule });
      return { type: 'not', verdict: !child.verdict, rule: child };
    }
    case 'field':
    case 'event':
    case 'segment': {
      const [verdict, value] = await Promise.all([profileMatches(input), leafValue(input)]);
      return {
        type: rule.type,
        verdict,
        condition: rule,
        value: rule.type === 'segment' ? verdict : value,
      };
    }
    default:
      return assertNever(rule);
  }
}
