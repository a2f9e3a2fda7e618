import type { RuleValue } from '@rapport/schemas';

// The compiler runs on validated rules only; these narrow the value's type and fail loudly if
// a rule that skipped validation reaches the compiler anyway.

type Scalar = string | number | boolean;
type ScalarType = 'string' | 'number' | 'boolean';
type Typed<T extends ScalarType> = T extends 'string'
  ? string
  : T extends 'number'
    ? number
    : boolean;

function isType<T extends ScalarType>(value: unknown, type: T): value is Typed<T> {
  return typeof value === type;
}

export function one<T extends ScalarType>(value: RuleValue | undefined, type: T): Typed<T> {
  if (!isType(value, type))
    throw new Error(`expected a ${type} value, got ${JSON.stringify(value)}`);
  return value;
}

export function list<T extends ScalarType>(value: RuleValue | undefined, type: T): Typed<T>[] {
  if (!Array.isArray(value) || value.length === 0) throw new Error('expected a non-empty list');
  return value.map((element) => one(element, type));
}

export function pair<T extends ScalarType>(
  value: RuleValue | undefined,
  type: T,
): [Typed<T>, Typed<T>] {
  const [lo, hi, ...rest] = list(value, type);
  if (lo === undefined || hi === undefined || rest.length > 0) throw new Error('expected [lo, hi]');
  return [lo, hi];
}

/** The scalar type of a value (or of a list's first element). */
export function typeOfValue(value: RuleValue | undefined): ScalarType {
  const sample: Scalar | undefined = Array.isArray(value) ? value[0] : value;
  if (sample === undefined) throw new Error('expected a value');
  return typeof sample === 'string' ? 'string' : typeof sample === 'number' ? 'number' : 'boolean';
}

/** An ISO date-time with offset as epoch milliseconds. */
export function epochMs(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not a date-time: ${JSON.stringify(iso)}`);
  return ms;
}
