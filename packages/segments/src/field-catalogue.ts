import { PROFILE_FIELDS, type FieldType, type ProfileField } from '@rapport/profiles';
import type { FieldOperator } from '@rapport/schemas';

export type { FieldType };

export interface FieldSpec {
  /** As in the profile JSON, e.g. `email.openRate`; `traits.<name>` stands for any trait. */
  name: string;
  type: FieldType;
  description: string;
  operators: readonly FieldOperator[];
  /** The allowed values of an enum (or of a list's elements). */
  values?: readonly string[];
  /** A profile may have no value; a condition on a missing value is false. */
  nullable: boolean;
}

const PRESENCE: readonly FieldOperator[] = ['exists', 'notExists'];

const NUMBER: readonly FieldOperator[] = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'in',
  'notIn',
];
const TEXT: readonly FieldOperator[] = ['contains', 'notContains', 'startsWith', 'endsWith'];

const BY_TYPE: Record<FieldType, readonly FieldOperator[]> = {
  number: NUMBER,
  string: ['eq', 'neq', 'in', 'notIn', ...TEXT],
  enum: ['eq', 'neq', 'in', 'notIn'],
  time: ['before', 'after', 'between', 'inLastDays', 'notInLastDays'],
  list: ['includes', 'excludes', 'includesAny'],
  boolean: ['eq'],
  // A trait holds any JSON: compared as a number or as text by the rule's value, and may be absent.
  json: [...NUMBER, ...TEXT, ...PRESENCE],
};

/** The operators a field of this type takes; `exists` / `notExists` only where a value can be missing. */
export function operatorsFor(type: FieldType, nullable: boolean): readonly FieldOperator[] {
  const base = BY_TYPE[type];
  return nullable && type !== 'json' ? [...base, ...PRESENCE] : base;
}

export const TRAIT_PREFIX = 'traits.';

function toSpec(field: ProfileField): FieldSpec {
  const nullable = field.nullable ?? false;
  return {
    name: field.name,
    type: field.type,
    description: field.description,
    operators: operatorsFor(field.type, nullable),
    ...(field.values ? { values: field.values } : {}),
    nullable,
  };
}

/** Every field a rule can test, as the API lists them: the profile's fields, and traits. */
export const FIELD_CATALOGUE: readonly FieldSpec[] = [
  ...PROFILE_FIELDS.map(toSpec),
  {
    name: `${TRAIT_PREFIX}<name>`,
    type: 'json',
    description:
      'any trait set by identify; a string value compares text, a number numbers, a boolean booleans',
    operators: operatorsFor('json', true),
    nullable: true,
  },
];

// A rule reads a field's column of `profile_features` (or of the live profile rows).
const BY_NAME = new Map(
  PROFILE_FIELDS.map((field) => [
    field.name,
    { ...toSpec(field), sql: field.ruleSql ?? field.column },
  ]),
);

/** A catalogue field with its fixed SQL, or undefined for a name the catalogue lacks. */
export function catalogueField(name: string): (FieldSpec & { sql: string }) | undefined {
  return BY_NAME.get(name);
}

/** The names a field may have, for messages and suggestions. */
export const FIELD_NAMES: readonly string[] = FIELD_CATALOGUE.map((field) => field.name);

/** The trait a `traits.<name>` field names, or undefined for any other field. */
export function traitName(field: string): string | undefined {
  return field.startsWith(TRAIT_PREFIX) ? field.slice(TRAIT_PREFIX.length) : undefined;
}
