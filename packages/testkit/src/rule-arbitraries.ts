/**
 * fast-check arbitraries for fuzzing the segment rule language: rule trees made of conditions
 * that are well typed for their field, conditions with one hostile part (a number past any
 * column, a lone surrogate, an operator of another type), and wide trees that compile to
 * large queries. Imported as `@rapport/testkit/rule-arbitraries` by tests and benchmarks only.
 * The field catalogue is passed in, so that this kit does not depend on the rule compiler.
 */
import { CHANNELS, EVENT_TYPES, FIELD_OPERATORS, MAX_RULE_NODES } from '@rapport/schemas';
import fc from 'fast-check';
import { makeEvent } from './event-factories.js';

/** A field of the catalogue, as `GET /v1/segments/fields` describes it. */
export interface FuzzField {
  name: string;
  type: string;
  operators: readonly string[];
  values?: readonly string[] | undefined;
}

type Scalar = string | number | boolean;

const hostileNumber: fc.Arbitrary<number> = fc.constantFrom(
  1e20,
  -1e20,
  1e308,
  -1e308,
  5e-324,
  -1e-320,
  -0,
  2 ** 53,
  2 ** 53 - 1,
  -(2 ** 53 - 1),
  2 ** 63,
  1e14,
  99_999_999_999_999.98,
);

const number: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -1000, max: 100_000 }) },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: hostileNumber },
);

const hostileText: fc.Arbitrary<string> = fc.constantFrom(
  '\ud800',
  'a\udfff',
  '\u0000',
  "'; DROP TABLE events; --",
  '{rule_p0:String}',
  '\\',
  '%_',
  '😀',
  '',
  'x'.repeat(1000),
);

const text: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('books', 'gold', 'web', 'Champions', 'USD', 'news') },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: hostileText },
);

/** ISO date-times with an offset, from year 0000 to 9999 (the rule language takes any). */
const dateTime: fc.Arbitrary<string> = fc.oneof(
  fc
    .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z') })
    .filter((date) => !Number.isNaN(date.getTime()))
    .map((date) => date.toISOString()),
  fc.constantFrom(
    '0000-01-01T00:00:00Z',
    '1899-12-31T23:59:59+14:00',
    '1970-01-01T00:00:00Z',
    '2299-12-31T23:59:59.999-12:00',
    '9999-12-31T23:59:59Z',
  ),
);

const days: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 1, max: 36_500 }),
  fc.constantFrom(0, -1, 36_501, 1.5, 1e20),
);

const scalar: fc.Arbitrary<Scalar> = fc.oneof(number, text, fc.boolean());

/** A value of any shape the schema takes (and some it does not). */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: scalar },
  { weight: 2, arbitrary: fc.array(scalar, { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** An element of the field's type for this operator. */
function element(field: FuzzField, op: string): fc.Arbitrary<Scalar> {
  switch (field.type) {
    case 'number':
      return number;
    case 'string':
      return text;
    case 'enum':
    case 'list':
      return field.values && field.values.length > 0 ? fc.constantFrom(...field.values) : text;
    case 'time':
      return op === 'inLastDays' || op === 'notInLastDays' ? days : dateTime;
    case 'boolean':
      return fc.boolean();
    default:
      // JSON (traits, event properties): the value's type picks the comparison.
      return op === 'contains' || op === 'notContains' || op === 'startsWith' || op === 'endsWith'
        ? text
        : fc.oneof(number, text);
  }
}

/** A value shaped for the operator: none, one, a pair in order, or a list. */
function typedValue(field: FuzzField, op: string): fc.Arbitrary<unknown> {
  const one = element(field, op);
  if (op === 'exists' || op === 'notExists') return fc.constant(undefined);
  if (op === 'between') {
    return fc.tuple(one, one).map(([a, b]) => (a <= b ? [a, b] : [b, a]));
  }
  if (op === 'in' || op === 'notIn' || op === 'includesAny') {
    return fc.oneof(
      { weight: 4, arbitrary: fc.array(one, { minLength: 1, maxLength: 5 }) },
      { weight: 1, arbitrary: fc.array(one, { minLength: 200, maxLength: 1000 }) },
    );
  }
  return one;
}

/** A condition on a field with an operator it takes and a value of its type, mostly. */
function condition(field: FuzzField, extra: Record<string, unknown> = {}) {
  const ops = field.operators.length > 0 ? field.operators : FIELD_OPERATORS;
  return fc.constantFrom(...ops).chain((op) =>
    fc
      .oneof({ weight: 8, arbitrary: typedValue(field, op) }, { weight: 1, arbitrary: anyValue })
      .chain((value) =>
        fc
          .oneof(
            { weight: 9, arbitrary: fc.constant(op) },
            { weight: 1, arbitrary: fc.constantFrom(...FIELD_OPERATORS) },
          )
          .map((chosen) => ({
            ...extra,
            field: field.name,
            op: chosen,
            ...(value === undefined ? {} : { value }),
          })),
      ),
  );
}

const JSON_FIELD: Omit<FuzzField, 'name'> = {
  type: 'json',
  operators: [
    'eq',
    'neq',
    'gt',
    'gte',
    'lt',
    'lte',
    'between',
    'in',
    'notIn',
    'contains',
    'notContains',
    'startsWith',
    'endsWith',
    'exists',
    'notExists',
  ],
};

const pathKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('plan', 'age', 'category', 'price', 'source', 'a.b', '__proto__'),
  fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !key.includes('.')),
  hostileText.filter((key) => key.length > 0 && key.length < 100 && !key.includes('.')),
);

const traitField: fc.Arbitrary<FuzzField> = pathKey.map((key) => ({
  name: `traits.${key}`,
  ...JSON_FIELD,
}));

/** Fields of an event filter: columns, property and context paths, item paths. */
const filterField: fc.Arbitrary<FuzzField> = fc.oneof(
  fc.constant<FuzzField>({
    name: 'channel',
    type: 'enum',
    operators: ['eq', 'neq', 'in', 'notIn'],
    values: CHANNELS,
  }),
  fc.constant<FuzzField>({
    name: 'amount',
    type: 'number',
    operators: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'notIn'],
  }),
  fc.constant<FuzzField>({
    name: 'currency',
    type: 'string',
    operators: ['eq', 'neq', 'in', 'notIn', 'contains', 'notContains', 'startsWith', 'endsWith'],
  }),
  fc
    .tuple(fc.constantFrom('properties.', 'context.', 'properties.items.'), pathKey)
    .map(([root, key]) => ({ name: `${root}${key}`, ...JSON_FIELD })),
);

const within = fc.oneof(
  fc.constant(undefined),
  days.map((lastDays) => ({ lastDays })),
  fc.tuple(dateTime, dateTime).map(([a, b]) => (a <= b ? { from: a, to: b } : { from: b, to: a })),
);

const count = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('atLeast', 'atMost', 'exactly').chain((kind) =>
    fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom(1_000_000, -1)).map((n) => ({
      [kind]: n,
    })),
  ),
);

function eventCondition(maxFilters: number) {
  return fc
    .record({
      event: fc.oneof(
        { weight: 9, arbitrary: fc.constantFrom(...EVENT_TYPES) },
        { weight: 1, arbitrary: fc.constant('identity_unlink') },
      ),
      where: fc.array(
        filterField.chain((field) => condition(field)),
        { maxLength: maxFilters },
      ),
      count,
      within,
    })
    .map(({ event, where, count: counted, within: window }) => ({
      type: 'event',
      event,
      ...(where.length > 0 ? { where } : {}),
      ...(counted === undefined ? {} : { count: counted }),
      ...(window === undefined ? {} : { within: window }),
    }));
}

/** The node limit of a rule (MAX_RULE_NODES). */
const MAX_NODES = MAX_RULE_NODES;

const CLEAN_FILTERS = [
  { field: 'properties.items.category', op: 'eq', value: 'books' },
  { field: 'amount', op: 'between', value: [1, 100] },
  { field: 'channel', op: 'in', value: ['web', 'store'] },
  { field: 'context.campaign.source', op: 'startsWith', value: 'news' },
  { field: 'properties.items.price', op: 'gte', value: 12.5 },
] as const;

/** A valid event condition with `filters` filters. */
function cleanEvent(filters: number) {
  return fc
    .tuple(
      fc.constantFrom(...EVENT_TYPES),
      fc.array(fc.constantFrom(...CLEAN_FILTERS), { minLength: filters, maxLength: filters }),
      fc.integer({ min: 1, max: 365 }),
    )
    .map(([event, where, lastDays]) => ({
      type: 'event',
      event,
      ...(where.length > 0 ? { where } : {}),
      within: { lastDays },
    }));
}

/** Leaves and trees of rules over the given catalogue, referring to `segmentIds`. */
export function ruleArbitraries(input: {
  fields: readonly FuzzField[];
  segmentIds: readonly string[];
}) {
  const catalogue = input.fields.filter((field) => !field.name.includes('<'));
  const fieldCondition = fc
    .oneof(
      { weight: 6, arbitrary: fc.constantFrom(...catalogue) },
      { weight: 2, arbitrary: traitField },
      {
        weight: 1,
        arbitrary: fc.constantFrom('ordrs', 'traits.', 'rfm', '').map((name) => ({
          name,
          type: 'number',
          operators: ['eq'],
        })),
      },
    )
    .chain((field) => condition(field, { type: 'field' }));
  const segmentCondition = fc
    .oneof(fc.constantFrom(...input.segmentIds), fc.constantFrom('nope', 'NOT-AN-ID', ''))
    .map((segmentId) => ({ type: 'segment', segmentId }));
  const leaf = fc.oneof(
    { weight: 5, arbitrary: fieldCondition },
    { weight: 3, arbitrary: eventCondition(3) },
    { weight: 1, arbitrary: segmentCondition },
  );
  const { tree } = fc.letrec<{ tree: unknown; node: unknown }>((tie) => ({
    tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('node')),
    node: fc.oneof(
      fc.record({
        type: fc.constantFrom('and', 'or'),
        rules: fc.array(tie('tree'), { minLength: 1, maxLength: 5 }),
      }),
      tie('tree').map((rule) => ({ type: 'not', rule })),
    ),
  }));
  /** Many valid event conditions with filters: near or past the compiled query's size limit. */
  const wide = fc
    .integer({ min: 2, max: 4 })
    .chain((groups) =>
      fc.tuple(
        fc.constant(groups),
        // Within the node limit: the root, the groups and their conditions.
        fc.integer({ min: 10, max: Math.floor((MAX_NODES - 1 - groups) / groups) }),
        fc.integer({ min: 0, max: 20 }),
      ),
    )
    .chain(([groups, width, filters]) =>
      fc
        .array(fc.array(cleanEvent(filters), { minLength: width, maxLength: width }), {
          minLength: groups,
          maxLength: groups,
        })
        .map((lists) => ({ type: 'or', rules: lists.map((rules) => ({ type: 'and', rules })) })),
    );
  /** A rule as a client sends it: mostly trees, some wide ones, some that are no rule. */
  const rule: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 12, arbitrary: tree },
    { weight: 1, arbitrary: wide },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
  return { rule, tree, wide, leaf };
}

/** The rule as the API receives it: through JSON (NaN and Infinity become null, -0 becomes 0). */
export function asJson(rule: unknown): unknown {
  const text = JSON.stringify(rule);
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

/**
 * Events that give rules something to find: every event type for a few customers over the
 * last 60 days before `now`, traits of every JSON type, a visitor linked to a customer, and one
 * visitor never linked.
 */
export function ruleFuzzEvents(now: number): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  const at = (daysAgo: number) => new Date(now - daysAgo * 86_400_000).toISOString();
  for (let customer = 0; customer < 8; customer++) {
    const customerId = `fuzz-${customer}`;
    EVENT_TYPES.forEach((type, index) => {
      if ((customer + index) % 3 === 0) return;
      events.push(
        makeEvent(type, {
          eventId: `${customerId}-${type}`,
          customerId,
          timestamp: at(customer * 7 + index),
          channel: CHANNELS[(customer + index) % CHANNELS.length],
          ...(type === 'purchase' ? { properties: purchase(customerId, customer) } : {}),
          ...(type === 'identify'
            ? {
                properties: {
                  traits: {
                    plan: customer % 2 ? 'gold' : 'silver',
                    age: 20 + customer,
                    vip: customer % 3 === 0,
                    tags: ['a'],
                    score: `${customer}`,
                  },
                },
              }
            : {}),
        }),
      );
    });
  }
  events.push(
    makeEvent('page_view', {
      eventId: 'anon-1',
      customerId: undefined,
      anonymousId: 'device-1',
      timestamp: at(3),
    }),
    makeEvent('identify', {
      eventId: 'anon-link',
      customerId: 'fuzz-1',
      anonymousId: 'device-1',
      timestamp: at(2),
    }),
    makeEvent('page_view', {
      eventId: 'anon-2',
      customerId: undefined,
      anonymousId: 'device-2',
      timestamp: at(1),
    }),
  );
  return events;
}

function purchase(customerId: string, n: number) {
  return {
    orderId: `${customerId}-order`,
    revenue: 10 + n * 25.5,
    currency: 'USD',
    items: [
      {
        sku: `sku-${n}`,
        name: 'Item',
        category: n % 2 ? 'books' : 'shoes',
        price: 10 + n,
        quantity: 1 + n,
      },
    ],
  };
}
