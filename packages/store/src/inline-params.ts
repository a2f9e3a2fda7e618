import type { QueryParams } from './store.js';

/**
 * Query parameters written into the SQL text as typed literals, for the embedded engine.
 *
 * chdb runs every statement that has query parameters one at a time for the whole process (its
 * parameter binding is not isolated between connections), so one long parameterised query holds
 * up every look-up on every other connection. Statements without parameters run in parallel.
 * Each `{name:Type}` placeholder becomes `CAST(<literal> AS Type)`: the same type as the
 * engine's own binding gives, with the value escaped as a ClickHouse literal, never as SQL.
 */

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^{}]+?)\s*\}/g;

const NUMERIC = /^(U?Int(8|16|32|64|128|256)|Float(32|64)|Bool)$/;
/** Types whose values are written as text: decimals too, so that none passes through a float. */
const TEXTUAL =
  /^(String|FixedString\(\d+\)|UUID|Date|Date32|DateTime(\(.*\))?|DateTime64\(.*\)|Decimal(32|64|128|256)?\(.*\)|IPv4|IPv6|Enum(8|16)?\(.*\))$/;

/** A value this binder does not render: the statement keeps the engine's own binding. */
class NotInlined extends Error {}

/** `'…'`: backslash and quote escaped, NUL written as `\0` (the text reaches C as is). */
function quoted(text: string): string {
  return `'${text.replace(/[\\']/g, '\\$&').replace(/\0/g, '\\0')}'`;
}

/** As the engine's binding writes a number; it refuses what has lost digits, and so do we. */
function numberText(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (!Number.isFinite(value)) throw new NotInlined('a non-finite number');
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
    throw new NotInlined('an integer beyond 2^53');
  }
  return String(value);
}

/** The arguments of `Name(a, b(c, d))`, split at top-level commas. */
function typeArguments(type: string): string[] {
  const inner = type.slice(type.indexOf('(') + 1, -1);
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const char = inner[i];
    if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === ',' && depth === 0) {
      parts.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(inner.slice(start).trim());
  return parts;
}

function scalar(type: string, value: unknown): string {
  const numeric = NUMERIC.test(type);
  if (!numeric && !TEXTUAL.test(type)) throw new NotInlined(type);
  if (typeof value === 'string') return quoted(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    // Dates take epoch numbers as text, as the engine's binding reads them (ms for DateTime64),
    // and decimals their exact digits.
    return numeric ? numberText(value) : quoted(numberText(value));
  }
  if (typeof value === 'boolean') {
    // The engine reads `true`/`false`, which only Bool and text types take.
    if (numeric && type !== 'Bool') throw new NotInlined(type);
    return numeric ? String(value) : quoted(String(value));
  }
  throw new NotInlined(type);
}

function literal(type: string, value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (type.startsWith('Nullable(')) return literal(typeArguments(type)[0] ?? '', value);
  if (type.startsWith('LowCardinality(')) return literal(typeArguments(type)[0] ?? '', value);
  if (type.startsWith('Array(')) {
    if (!Array.isArray(value)) throw new NotInlined(type);
    const item = typeArguments(type)[0] ?? '';
    return `[${value.map((element) => literal(item, element)).join(', ')}]`;
  }
  if (type.startsWith('Map(')) {
    const [keyType = '', valueType = ''] = typeArguments(type);
    const entries =
      value instanceof Map
        ? [...value.entries()]
        : typeof value === 'object' && !Array.isArray(value)
          ? Object.entries(value)
          : undefined;
    if (!entries) throw new NotInlined(type);
    const args = entries.flatMap(([key, item]) => [
      literal(keyType, key),
      literal(valueType, item),
    ]);
    return `map(${args.join(', ')})`;
  }
  return scalar(type, value);
}

function placeholder(name: string, type: string, params: QueryParams): string {
  if (!Object.hasOwn(params, name)) throw new NotInlined(name);
  const value = params[name];
  if (type === 'Identifier') {
    if (typeof value !== 'string') throw new NotInlined(type);
    return `\`${value.replace(/[\\`]/g, '\\$&')}\``;
  }
  // A long list under CAST(…) costs the engine far more than the list alone (70,000 strings:
  // 18 s against 0.26 s); a list of strings is Array(String) as written, and goes without it.
  if (type === 'Array(String)' && Array.isArray(value) && value.length > 0) {
    return literal(type, value);
  }
  return `CAST(${literal(type, value)} AS ${type})`;
}

/**
 * The statement with its parameters written in, or undefined when one of them is of a type or
 * shape not rendered here (or not given), or when the text would pass `maxBytes` (the engine's
 * `max_query_size`; long lists of values): that statement is then bound by the engine.
 */
export function inlineParams(
  sql: string,
  params: QueryParams | undefined,
  maxBytes = Number.POSITIVE_INFINITY,
): string | undefined {
  if (params === undefined || !sql.includes('{')) return sql;
  let inlined: string;
  try {
    inlined = sql.replace(PLACEHOLDER, (_match, name: string, type: string) =>
      placeholder(name, type.trim(), params),
    );
  } catch (error) {
    if (error instanceof NotInlined) return undefined;
    throw error;
  }
  // Characters first: no string of fewer UTF-16 units has more bytes than three per unit.
  if (inlined.length * 3 > maxBytes && Buffer.byteLength(inlined) > maxBytes) return undefined;
  return inlined;
}
