import type { FieldOperator, RuleValue } from '@rapport/schemas';
import { list, one, pair, typeOfValue } from './rule-values.js';
import type { ParamType, SqlParams } from './sql-params.js';

/** Where a raw JSON value sits: a document and the bound path of keys inside it. */
export interface JsonTarget {
  /** SQL of the JSON document (fixed text and placeholders only). */
  doc: string;
  /** Placeholders of the keys leading to the value; empty when the document is the value. */
  path: readonly string[];
  /** SQL that is true when the value is present. */
  exists: string;
}

interface Typed {
  /** True when the JSON value has the type the rule's value has. */
  guard: string;
  extract: string;
  param: ParamType;
  listParam: ParamType;
}

function typed(target: JsonTarget, type: 'string' | 'number' | 'boolean'): Typed {
  const args = [target.doc, ...target.path].join(', ');
  switch (type) {
    case 'string':
      return {
        guard: `JSONType(${args}) = 'String'`,
        extract: `JSONExtractString(${args})`,
        param: 'String',
        listParam: 'Array(String)',
      };
    case 'number':
      return {
        guard: `JSONType(${args}) IN ('Int64', 'UInt64', 'Double')`,
        extract: `JSONExtractFloat(${args})`,
        param: 'Float64',
        listParam: 'Array(Float64)',
      };
    case 'boolean':
      return {
        guard: `JSONType(${args}) = 'Bool'`,
        extract: `JSONExtractBool(${args})`,
        param: 'Bool',
        listParam: 'Array(String)',
      };
  }
}

/**
 * A condition on a raw JSON value (a trait, an event property). The rule's value decides the
 * comparison: a value of another JSON type never equals it, is never greater, never contains
 * it. The negations (neq, notIn, notContains) hold for a present value that fails the
 * positive test, so a missing value matches neither (two-valued logic, as for fields).
 */
export function compileJsonCondition(input: {
  target: JsonTarget;
  op: FieldOperator;
  value: RuleValue | undefined;
  params: SqlParams;
}): string {
  const { target, op, value, params } = input;
  if (op === 'exists') return target.exists;
  if (op === 'notExists') return `(NOT ${target.exists})`;
  const type = typeOfValue(value);
  const json = typed(target, type);
  const test = (comparison: string) => `(${json.guard} AND ${comparison})`;
  const scalar = () => params.bind(json.param, one(value, type));
  const positive = (): string => {
    switch (op) {
      case 'eq':
      case 'neq':
        return test(`${json.extract} = ${scalar()}`);
      case 'gt':
        return test(`${json.extract} > ${scalar()}`);
      case 'gte':
        return test(`${json.extract} >= ${scalar()}`);
      case 'lt':
        return test(`${json.extract} < ${scalar()}`);
      case 'lte':
        return test(`${json.extract} <= ${scalar()}`);
      case 'between': {
        const bounds = type === 'number' ? pair(value, 'number') : pair(value, 'string');
        const [lo, hi] = bounds.map((bound) => params.bind(json.param, bound));
        return test(`${json.extract} BETWEEN ${lo} AND ${hi}`);
      }
      case 'in':
      case 'notIn': {
        const values = type === 'number' ? list(value, 'number') : list(value, 'string');
        return test(`has(${params.bind(json.listParam, values)}, ${json.extract})`);
      }
      case 'contains':
      case 'notContains':
        return test(`position(${json.extract}, ${scalar()}) > 0`);
      case 'startsWith':
        return test(`startsWith(${json.extract}, ${scalar()})`);
      case 'endsWith':
        return test(`endsWith(${json.extract}, ${scalar()})`);
      default:
        throw new Error(`operator ${op} does not apply to a JSON value`);
    }
  };
  const negated = op === 'neq' || op === 'notIn' || op === 'notContains';
  return negated ? `(${target.exists} AND NOT ${positive()})` : positive();
}
