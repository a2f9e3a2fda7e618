import type { FieldOperator, RuleValue } from '@rapport/schemas';
import { list, one, pair } from './rule-values.js';
import type { SqlParams } from './sql-params.js';

export interface ScalarComparison {
  /** Fixed SQL of the column or expression compared. */
  sql: string;
  type: 'number' | 'string' | 'enum';
  op: FieldOperator;
  value: RuleValue | undefined;
  params: SqlParams;
}

/** A comparison of a number or string column with bound values. */
export function compileScalar({ sql, type, op, value, params }: ScalarComparison): string {
  const numeric = type === 'number';
  const scalar = () =>
    numeric
      ? params.bind('Float64', one(value, 'number'))
      : params.bind('String', one(value, 'string'));
  const inList = () =>
    numeric
      ? `has(${params.bind('Array(Float64)', list(value, 'number'))}, toFloat64(${sql}))`
      : `has(${params.bind('Array(String)', list(value, 'string'))}, ${sql})`;
  switch (op) {
    case 'eq':
      return `${sql} = ${scalar()}`;
    case 'neq':
      return `${sql} != ${scalar()}`;
    case 'gt':
      return `${sql} > ${scalar()}`;
    case 'gte':
      return `${sql} >= ${scalar()}`;
    case 'lt':
      return `${sql} < ${scalar()}`;
    case 'lte':
      return `${sql} <= ${scalar()}`;
    case 'between': {
      const [lo, hi] = numeric
        ? pair(value, 'number').map((bound) => params.bind('Float64', bound))
        : pair(value, 'string').map((bound) => params.bind('String', bound));
      return `${sql} BETWEEN ${lo} AND ${hi}`;
    }
    case 'in':
      return inList();
    case 'notIn':
      return `NOT ${inList()}`;
    case 'contains':
      return `position(${sql}, ${scalar()}) > 0`;
    case 'notContains':
      return `position(${sql}, ${scalar()}) = 0`;
    case 'startsWith':
      return `startsWith(${sql}, ${scalar()})`;
    case 'endsWith':
      return `endsWith(${sql}, ${scalar()})`;
    default:
      throw new Error(`operator ${op} does not apply to a ${type}`);
  }
}
