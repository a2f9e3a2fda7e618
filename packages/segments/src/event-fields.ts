import { CHANNELS } from '@rapport/schemas';
import { operatorsFor, type FieldType } from './field-catalogue.js';

/** A column of `events` a behavioural condition can filter on (fixed SQL). */
export interface EventColumnField {
  kind: 'column';
  name: string;
  type: FieldType;
  sql: string;
  values?: readonly string[];
}

/**
 * A dotted path into the JSON of `properties` or `context`. Under `properties.items.` the rest
 * of the path is looked up in every element of the items array (any element may match).
 */
export interface EventJsonField {
  kind: 'json';
  root: 'properties' | 'context';
  path: string[];
  itemPath?: string[];
}

export type EventField = EventColumnField | EventJsonField;

const COLUMNS: readonly EventColumnField[] = [
  { kind: 'column', name: 'channel', type: 'enum', sql: 'channel', values: CHANNELS },
  // Reporting currency; Decimal in the table, compared as Float64 with the bound value.
  { kind: 'column', name: 'amount', type: 'number', sql: 'toFloat64(amount)' },
  { kind: 'column', name: 'currency', type: 'string', sql: 'currency' },
];

const ROOTS = ['properties', 'context'] as const;
const ITEMS = 'items';

export const EVENT_FILTER_FIELDS = 'channel, amount, currency, properties.<path> or context.<path>';

/** The columns by name, for suggestions. */
export const EVENT_COLUMN_NAMES: readonly string[] = COLUMNS.map((column) => column.name);

export function eventFieldOperators(field: EventField) {
  return field.kind === 'column' ? operatorsFor(field.type, false) : operatorsFor('json', true);
}

export function eventFieldType(field: EventField): FieldType {
  return field.kind === 'column' ? field.type : 'json';
}

/** The field a filter names, or why it names none. */
export function resolveEventField(name: string): EventField | { error: string } {
  const column = COLUMNS.find((candidate) => candidate.name === name);
  if (column) return column;
  const root = ROOTS.find((candidate) => name.startsWith(`${candidate}.`));
  if (!root) return { error: `unknown event filter field "${name}"; use ${EVENT_FILTER_FIELDS}` };
  const path = name.slice(root.length + 1).split('.');
  if (path.some((segment) => segment === '')) {
    return { error: `"${name}" has an empty path segment; write ${root}.<key>.<key>…` };
  }
  if (root === 'properties' && path.length > 1 && path[0] === ITEMS) {
    return { kind: 'json', root, path: [ITEMS], itemPath: path.slice(1) };
  }
  return { kind: 'json', root, path };
}
