import { anonymousIdSql, ownersSql, profileKeySql, SCOPE } from '@rapport/profiles';
import type { EventCondition, EventFilter } from '@rapport/schemas';
import { compileJsonCondition, type JsonTarget } from './compile-json-value.js';
import { compileScalar } from './compile-scalar.js';
import { daysBeforeNow, instant } from './compile-field.js';
import type { EventCounts } from './event-counts.js';
import { resolveEventField } from './event-fields.js';
import type { SqlParams } from './sql-params.js';

function compileFilter(filter: EventFilter, params: SqlParams): string {
  const field = resolveEventField(filter.field);
  if ('error' in field) throw new Error(field.error);
  const { op, value } = filter;
  if (field.kind === 'column') {
    if (field.type !== 'number' && field.type !== 'string' && field.type !== 'enum') {
      throw new Error(`event column ${field.name} has no comparison`);
    }
    return compileScalar({ sql: field.sql, type: field.type, op, value, params });
  }
  const path = field.path.map((key) => params.bind('String', key));
  if (!field.itemPath) {
    const exists = `JSONHas(${[field.root, ...path].join(', ')})`;
    return compileJsonCondition({ target: { doc: field.root, path, exists }, op, value, params });
  }
  // Any element of the items array may match; `item` is the lambda's own name, not input.
  const itemPath = field.itemPath.map((key) => params.bind('String', key));
  const target: JsonTarget = {
    doc: 'item',
    path: itemPath,
    exists: `JSONHas(${['item', ...itemPath].join(', ')})`,
  };
  const condition = compileJsonCondition({ target, op, value, params });
  return `arrayExists(item -> ${condition}, JSONExtractArrayRaw(${[field.root, ...path].join(', ')}))`;
}

function compileWithin(within: EventCondition['within'], params: SqlParams): string[] {
  if (!within) return [];
  if ('lastDays' in within) return [`timestamp >= ${daysBeforeNow(within.lastDays, params)}`];
  return [`timestamp BETWEEN ${instant(within.from, params)} AND ${instant(within.to, params)}`];
}

/**
 * Profiles by how many matching events they have. Events are counted per customer key, then
 * an anonymous key owned by a customer is counted for that customer (as profiles merge them).
 */
function countedProfiles(input: {
  node: EventCondition;
  params: SqlParams;
  /** A HAVING condition on the count `sum(k.n)`, or '' for every profile with one. */
  having: string;
  /** Also select the count, as `n`. */
  withCount?: boolean;
}): string {
  const { node, params, having } = input;
  // Type and time are cheap columns: PREWHERE reads the JSON of the matching rows only. Left
  // to itself the engine moved the JSON filters there too, and parsed every event's (4× slower).
  const prewhere = [
    ...(params.scoped ? [`customer_key IN ${SCOPE.customerKeys}`] : []),
    `type = ${params.bind('String', node.event)}`,
    // An admin's unlink is a correction, not customer activity.
    "type != 'identity_unlink'",
    ...compileWithin(node.within, params),
  ];
  const filters = (node.where ?? []).map((filter) => compileFilter(filter, params));
  const all = (conditions: string[]) =>
    conditions.length === 0 ? '1' : conditions.map((condition) => `(${condition})`).join(' AND ');
  return `SELECT ${profileKeySql('k.customer_key', 'o.owner')} AS profile_key${input.withCount ? ', sum(k.n) AS n' : ''}
    FROM (SELECT customer_key, count() AS n FROM events PREWHERE ${all(prewhere)} WHERE ${all(filters)} GROUP BY customer_key) AS k
    LEFT JOIN (${ownersSql(params.scoped ? { within: SCOPE.anonymousIds } : {})}) AS o ON o.anonymous_id = ${anonymousIdSql('k.customer_key')}
    GROUP BY profile_key${having ? ` HAVING ${having}` : ''}`;
}

/** The condition as a comparison of its column of shared counts (see EventCounts). */
function compileCounted(node: EventCondition, params: SqlParams, counts: EventCounts): string {
  const count = node.count ?? { atLeast: 1 };
  if ('atLeast' in count && count.atLeast === 0) return '1';
  const column = counts.column({
    type: params.bind('String', node.event),
    conditions: [
      ...compileWithin(node.within, params),
      ...(node.where ?? []).map((filter) => compileFilter(filter, params)),
    ],
  });
  const n = (value: number) => params.bind('UInt64', value);
  if ('atLeast' in count) return `${column} >= ${n(count.atLeast)}`;
  if ('atMost' in count) return `${column} <= ${n(count.atMost)}`;
  return `${column} = ${n(count.exactly)}`;
}

/**
 * A behavioural condition: the profile has performed the event (with the filters, in the
 * window) a number of times. Counts that include zero are written as NOT IN the profiles
 * with more, so that profiles without any such event match. With `counts` (streaming
 * evaluation, scoped), the count is a column of the statement's one read of events instead.
 */
export function compileEvent(
  node: EventCondition,
  params: SqlParams,
  counts?: EventCounts,
): string {
  if (counts !== undefined && params.scoped) return compileCounted(node, params, counts);
  const count = node.count ?? { atLeast: 1 };
  const counted = (having: string) => countedProfiles({ node, params, having });
  const n = (value: number) => params.bind('UInt64', value);
  if ('atLeast' in count) {
    // Everyone has at least zero events.
    if (count.atLeast === 0) return '1';
    return `profile_key IN (${counted(`sum(k.n) >= ${n(count.atLeast)}`)})`;
  }
  if ('atMost' in count) return `profile_key NOT IN (${counted(`sum(k.n) > ${n(count.atMost)}`)})`;
  if (count.exactly === 0) return `profile_key NOT IN (${counted('')})`;
  return `profile_key IN (${counted(`sum(k.n) = ${n(count.exactly)}`)})`;
}

/**
 * SQL of the profiles with at least one event matching the condition (its type, filters and
 * window; not its count) and how many, as `profile_key` and `n`: what a count is compared with.
 */
export function compileEventCount(node: EventCondition, params: SqlParams): string {
  return countedProfiles({ node, params, having: '', withCount: true });
}
