import { z } from 'zod';
import type { FieldOperator, RuleValue } from '@rapport/schemas';
import type { FieldType } from './field-catalogue.js';
import { closest, pointer, type PathSegment, type RuleIssue } from './rule-issues.js';

/** What one element of a value must be. */
type Kind = 'number' | 'string' | 'enum' | 'datetime' | 'days' | 'boolean' | 'scalar' | 'ordered';

const EXPECTED: Record<Kind, string> = {
  number: 'a number',
  string: 'a string',
  enum: 'one of the allowed values',
  datetime: 'an ISO date-time with an offset, e.g. "2024-06-01T00:00:00Z"',
  days: 'a whole number of days from 1 to 36500',
  boolean: 'true or false',
  scalar: 'a string, a number or a boolean',
  ordered: 'a string or a number',
};

export const MAX_DAYS = 36_500;

/**
 * The largest number a rule may hold, either sign: 2^53 − 1. A double holds every whole number
 * up to it exactly; past it (1e20, 1e308) the store refuses to bind the value, and the run of
 * every segment would fail with it. Amounts and counts never come near it.
 */
export const MAX_RULE_NUMBER = Number.MAX_SAFE_INTEGER;
const isoDateTime = z.iso.datetime({ offset: true });

type Scalar = string | number | boolean;

function kindOf(type: FieldType, op: FieldOperator, hasValues: boolean): Kind {
  switch (type) {
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'enum':
      return 'enum';
    case 'time':
      return op === 'inLastDays' || op === 'notInLastDays' ? 'days' : 'datetime';
    case 'list':
      return hasValues ? 'enum' : 'string';
    case 'boolean':
      return 'boolean';
    case 'json':
      if (op === 'eq' || op === 'neq') return 'scalar';
      if (op === 'contains' || op === 'notContains' || op === 'startsWith' || op === 'endsWith') {
        return 'string';
      }
      return 'ordered';
  }
}

function describe(value: Scalar): string {
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : String(value);
}

/** A number the store cannot bind, or undefined. JSON cannot carry NaN; `1e400` arrives as Infinity. */
function numberIssue(value: Scalar): string | undefined {
  if (typeof value !== 'number') return undefined;
  if (!Number.isFinite(value)) return `${value} is not a finite number`;
  return Math.abs(value) > MAX_RULE_NUMBER
    ? `${value} is out of range; a number in a rule is from -${MAX_RULE_NUMBER} to ${MAX_RULE_NUMBER} (2^53 - 1)`
    : undefined;
}

function elementIssue(kind: Kind, value: Scalar, values?: readonly string[]): string | undefined {
  const range = numberIssue(value);
  if (range !== undefined && (kind === 'number' || kind === 'scalar' || kind === 'ordered')) {
    return range;
  }
  switch (kind) {
    case 'number':
    case 'boolean':
    case 'string':
      return typeof value === kind
        ? undefined
        : `expected ${EXPECTED[kind]}, got ${describe(value)}`;
    case 'enum': {
      const allowed = values ?? [];
      if (typeof value === 'string' && allowed.includes(value)) return undefined;
      const near = typeof value === 'string' ? closest(value, allowed) : undefined;
      return (
        `${describe(value)} is not an allowed value` +
        (near ? `; did you mean "${near}"?` : `; use one of: ${allowed.join(', ')}`)
      );
    }
    case 'datetime':
      return typeof value === 'string' && isoDateTime.safeParse(value).success
        ? undefined
        : `expected ${EXPECTED.datetime}, got ${describe(value)}`;
    case 'days':
      return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_DAYS
        ? undefined
        : `expected ${EXPECTED.days}, got ${describe(value)}`;
    case 'scalar':
      return undefined;
    case 'ordered':
      return typeof value === 'string' || typeof value === 'number'
        ? undefined
        : `expected ${EXPECTED.ordered}, got ${describe(value)}`;
  }
}

/** Comparable form of a valid element, to check that `between` bounds are in order. */
function rank(kind: Kind, value: Scalar): number | string {
  if (kind === 'datetime' && typeof value === 'string') return Date.parse(value);
  return typeof value === 'boolean' ? Number(value) : value;
}

export interface ValueCheck {
  /** How the field is named in messages. */
  label: string;
  type: FieldType;
  values?: readonly string[] | undefined;
  op: FieldOperator;
  /** Already of the shape `ruleValueSchema` accepts, or absent. */
  value: RuleValue | undefined;
  /** Pointer segments of the condition (or filter) holding the value. */
  at: readonly PathSegment[];
}

/** Whether the value fits the operator and the field: arity, type, enum membership, order. */
export function checkValue(check: ValueCheck): RuleIssue[] {
  const { label, op, value } = check;
  const at = [...check.at, 'value'];
  const issue = (message: string, path: readonly PathSegment[] = at): RuleIssue => ({
    path: pointer(path),
    message,
  });
  if (op === 'exists' || op === 'notExists') {
    return value === undefined ? [] : [issue(`${op} takes no value`)];
  }
  const kind = kindOf(check.type, op, check.values !== undefined);
  const shape =
    op === 'between'
      ? `[lo, hi], two of ${EXPECTED[kind]} with lo <= hi`
      : op === 'in' || op === 'notIn' || op === 'includesAny'
        ? `a non-empty list, each ${EXPECTED[kind]}`
        : EXPECTED[kind];
  if (value === undefined) return [issue(`${label} ${op} needs a value: ${shape}`)];

  const isList = op === 'between' || op === 'in' || op === 'notIn' || op === 'includesAny';
  if (!isList) {
    if (Array.isArray(value))
      return [issue(`${label} ${op} takes one value (${shape}), not a list`)];
    const problem = elementIssue(kind, value, check.values);
    return problem ? [issue(`${label} ${op}: ${problem}`)] : [];
  }
  if (!Array.isArray(value) || value.length === 0) return [issue(`${label} ${op} needs ${shape}`)];
  if (op === 'between' && value.length !== 2) {
    return [issue(`${label} between needs [lo, hi] (two values), got ${value.length}`)];
  }
  const issues = value.flatMap((element, index) => {
    const problem = elementIssue(kind, element, check.values);
    return problem ? [issue(`${label} ${op}: ${problem}`, [...at, index])] : [];
  });
  if (issues.length > 0) return issues;
  if (kind === 'ordered' && new Set(value.map((element) => typeof element)).size > 1) {
    return [issue(`${label} ${op} needs values of one type: all strings or all numbers`)];
  }
  const [lo, hi] = value;
  if (op === 'between' && lo !== undefined && hi !== undefined && rank(kind, lo) > rank(kind, hi)) {
    return [issue(`${label} between needs lo <= hi, got [${describe(lo)}, ${describe(hi)}]`)];
  }
  return [];
}
