import {
  FIELD_OPERATORS,
  SEGMENT_ID,
  ruleValueSchema,
  segmentRuleSchema,
  type FieldOperator,
  type RuleValue,
  type SegmentRule,
} from '@rapport/schemas';
import { checkValue } from './check-value.js';
import {
  EVENT_COLUMN_NAMES,
  eventFieldOperators,
  eventFieldType,
  resolveEventField,
} from './event-fields.js';
import {
  FIELD_NAMES,
  TRAIT_PREFIX,
  catalogueField,
  operatorsFor,
  traitName,
  type FieldType,
} from './field-catalogue.js';
import { checkLimits } from './rule-limits.js';
import {
  closest,
  fromZodIssues,
  pointer,
  type PathSegment,
  type RuleIssue,
} from './rule-issues.js';

export type ParsedRule = { ok: true; rule: SegmentRule } | { ok: false; issues: RuleIssue[] };

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOperator(value: unknown): value is FieldOperator {
  return typeof value === 'string' && (FIELD_OPERATORS as readonly string[]).includes(value);
}

/** The value when it has the shape zod accepts; zod reports it otherwise. */
function shapedValue(value: unknown): { ok: true; value: RuleValue | undefined } | { ok: false } {
  // An empty list is reported by the operator's check, which can say what the list needs.
  if (value === undefined || (Array.isArray(value) && value.length === 0)) {
    return { ok: true, value: value as RuleValue | undefined };
  }
  const parsed = ruleValueSchema.safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false };
}

interface Target {
  label: string;
  type: FieldType;
  values?: readonly string[] | undefined;
  operators: readonly FieldOperator[];
}

/** Operator and value of a condition or an event filter, against what its field accepts. */
function checkOperation(node: Node, target: Target, at: readonly PathSegment[]): RuleIssue[] {
  if (!isOperator(node.op)) return [];
  if (!target.operators.includes(node.op)) {
    return [
      {
        path: pointer([...at, 'op']),
        message:
          `operator "${node.op}" does not apply to ${target.label} (${target.type}); ` +
          `use one of: ${target.operators.join(', ')}`,
      },
    ];
  }
  const value = shapedValue(node.value);
  if (!value.ok) return [];
  return checkValue({ ...target, op: node.op, value: value.value, at });
}

function unknownField(field: string): string {
  const near = closest(
    field,
    FIELD_NAMES.filter((name) => !name.startsWith(TRAIT_PREFIX)),
  );
  return near
    ? `unknown field "${field}"; did you mean "${near}"?`
    : `unknown field "${field}"; fields are: ${FIELD_NAMES.join(', ')}`;
}

function checkField(node: Node, at: readonly PathSegment[]): RuleIssue[] {
  const field = node.field;
  if (typeof field !== 'string') return [];
  const trait = traitName(field);
  if (trait === '') {
    return [
      {
        path: pointer([...at, 'field']),
        message: `"${field}" needs a trait name, e.g. traits.plan`,
      },
    ];
  }
  if (trait !== undefined) {
    return checkOperation(
      node,
      { label: field, type: 'json', operators: operatorsFor('json', true) },
      at,
    );
  }
  const spec = catalogueField(field);
  if (!spec) return [{ path: pointer([...at, 'field']), message: unknownField(field) }];
  return checkOperation(node, { label: field, ...spec }, at);
}

function checkEventFilter(filter: unknown, at: readonly PathSegment[]): RuleIssue[] {
  if (!isNode(filter) || typeof filter.field !== 'string') return [];
  const field = resolveEventField(filter.field);
  if ('error' in field) {
    const near = closest(filter.field, EVENT_COLUMN_NAMES);
    return [
      {
        path: pointer([...at, 'field']),
        message: near ? `${field.error}; did you mean "${near}"?` : field.error,
      },
    ];
  }
  const target: Target = {
    label: filter.field,
    type: eventFieldType(field),
    values: field.kind === 'column' ? field.values : undefined,
    operators: eventFieldOperators(field),
  };
  return checkOperation(filter, target, at);
}

function checkWithin(within: unknown, at: readonly PathSegment[]): RuleIssue[] {
  if (!isNode(within) || typeof within.from !== 'string' || typeof within.to !== 'string') {
    return [];
  }
  const from = Date.parse(within.from);
  const to = Date.parse(within.to);
  return from > to
    ? [{ path: pointer(at), message: `from (${within.from}) is after to (${within.to})` }]
    : [];
}

function checkEvent(node: Node, at: readonly PathSegment[]): RuleIssue[] {
  const filters = Array.isArray(node.where) ? node.where : [];
  return [
    ...filters.flatMap((filter, index) => checkEventFilter(filter, [...at, 'where', index])),
    ...checkWithin(node.within, [...at, 'within']),
  ];
}

function checkSegment(node: Node, at: readonly PathSegment[]): RuleIssue[] {
  const id = node.segmentId;
  if (typeof id !== 'string' || id.length === 0 || id.length > 64 || SEGMENT_ID.test(id)) return [];
  return [
    {
      path: pointer([...at, 'segmentId']),
      message: 'a segment id is 1–64 of a-z 0-9 _ -, starting with a letter or digit',
    },
  ];
}

/** Checks against the field catalogue, on whatever parts of the tree are shaped well enough. */
function checkCatalogue(node: unknown, at: readonly PathSegment[]): RuleIssue[] {
  if (!isNode(node)) return [];
  switch (node.type) {
    case 'and':
    case 'or':
      return Array.isArray(node.rules)
        ? node.rules.flatMap((child, index) => checkCatalogue(child, [...at, 'rules', index]))
        : [];
    case 'not':
      return checkCatalogue(node.rule, [...at, 'rule']);
    case 'field':
      return checkField(node, at);
    case 'event':
      return checkEvent(node, at);
    case 'segment':
      return checkSegment(node, at);
    default:
      return [];
  }
}

/**
 * Validates a rule: its shape (zod), its size, and every field, operator and value against
 * the catalogue. Reports every issue found, each at the JSON Pointer of the part at fault.
 * Whether a referenced segment exists (and cycles) needs a store: that is the caller's check.
 */
export function parseRule(input: unknown): ParsedRule {
  const limits = checkLimits(input);
  // A tree far past the limits is refused on its size alone: walking it deeper is wasted
  // work, and recursion through a hostile nesting depth could exhaust the stack.
  if (limits.beyondWalking) return { ok: false, issues: limits.issues };
  const parsed = segmentRuleSchema.safeParse(input);
  const catalogue = checkCatalogue(input, []);
  // Where the catalogue check speaks about a part, it says more than zod's shape message.
  const explained = new Set(catalogue.map((issue) => issue.path));
  const shape = parsed.success ? [] : fromZodIssues(parsed.error.issues);
  const issues = [
    ...limits.issues,
    ...shape.filter((issue) => !explained.has(issue.path)),
    ...catalogue,
  ];
  if (parsed.success && issues.length === 0) return { ok: true, rule: parsed.data };
  const seen = new Set<string>();
  return {
    ok: false,
    issues: issues.filter((issue) => {
      const key = `${issue.path}\n${issue.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }),
  };
}
