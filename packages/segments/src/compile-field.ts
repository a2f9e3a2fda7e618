import type { FieldCondition, FieldOperator, RuleValue } from '@rapport/schemas';
import { assertNever } from './assert-never.js';
import { compileJsonCondition } from './compile-json-value.js';
import { compileScalar } from './compile-scalar.js';
import { catalogueField, traitName } from './field-catalogue.js';
import { epochMs, list, one, pair } from './rule-values.js';
import { NOW_PARAM, type SqlParams } from './sql-params.js';

const DAY_MS = 86_400_000;

interface Comparison {
  sql: string;
  op: FieldOperator;
  value: RuleValue | undefined;
  params: SqlParams;
}

/** The instant `days` days before the evaluation time, as DateTime64. */
export function daysBeforeNow(days: number, params: SqlParams): string {
  return `fromUnixTimestamp64Milli(${NOW_PARAM} - ${params.bind('Int64', days)} * ${DAY_MS}, 'UTC')`;
}

/** An ISO date-time value bound as epoch ms and read back as DateTime64. */
export function instant(iso: string, params: SqlParams): string {
  return `fromUnixTimestamp64Milli(${params.bind('Int64', epochMs(iso))}, 'UTC')`;
}

function compileTime({ sql, op, value, params }: Comparison): string {
  switch (op) {
    case 'before':
      return `${sql} < ${instant(one(value, 'string'), params)}`;
    case 'after':
      return `${sql} > ${instant(one(value, 'string'), params)}`;
    case 'between': {
      const [from, to] = pair(value, 'string').map((bound) => instant(bound, params));
      return `${sql} BETWEEN ${from} AND ${to}`;
    }
    case 'inLastDays':
      return `${sql} >= ${daysBeforeNow(one(value, 'number'), params)}`;
    case 'notInLastDays':
      return `${sql} < ${daysBeforeNow(one(value, 'number'), params)}`;
    default:
      throw new Error(`operator ${op} does not apply to a time`);
  }
}

function compileList({ sql, op, value, params }: Comparison): string {
  switch (op) {
    case 'includes':
      return `has(${sql}, ${params.bind('String', one(value, 'string'))})`;
    case 'excludes':
      return `NOT has(${sql}, ${params.bind('String', one(value, 'string'))})`;
    case 'includesAny':
      return `hasAny(${sql}, ${params.bind('Array(String)', list(value, 'string'))})`;
    default:
      throw new Error(`operator ${op} does not apply to a list`);
  }
}

/**
 * A condition on one profile field. A condition on a missing value (a NULL column) is false,
 * never NULL, so that `not` turns it into true: "not rfm.r >= 4" includes profiles without an
 * RFM score.
 */
export function compileField(node: FieldCondition, params: SqlParams): string {
  const { op, value } = node;
  const trait = traitName(node.field);
  if (trait !== undefined) {
    const name = params.bind('String', trait);
    return compileJsonCondition({
      target: { doc: `traits[${name}]`, path: [], exists: `mapContains(traits, ${name})` },
      op,
      value,
      params,
    });
  }
  const spec = catalogueField(node.field);
  if (!spec) throw new Error(`unknown field ${JSON.stringify(node.field)}`);
  const { sql, type } = spec;
  if (op === 'exists') return `(${sql} IS NOT NULL)`;
  if (op === 'notExists') return `(${sql} IS NULL)`;
  const comparison = { sql, op, value, params };
  let test: string;
  switch (type) {
    case 'number':
    case 'string':
    case 'enum':
      test = compileScalar({ ...comparison, type });
      break;
    case 'time':
      test = compileTime(comparison);
      break;
    case 'list':
      test = compileList(comparison);
      break;
    case 'boolean':
      if (op !== 'eq') throw new Error(`operator ${op} does not apply to a boolean`);
      test = `${sql} = ${params.bind('Bool', one(value, 'boolean'))}`;
      break;
    case 'json':
      throw new Error('the catalogue holds no JSON field but traits');
    default:
      return assertNever(type);
  }
  // NOT has(…) of a NULL is true, hence the explicit presence test before ifNull.
  return spec.nullable ? `ifNull(${sql} IS NOT NULL AND (${test}), 0)` : `ifNull(${test}, 0)`;
}
