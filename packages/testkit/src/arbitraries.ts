/**
 * fast-check arbitraries for fuzzing POST /v1/events: request bodies made of valid events,
 * events with one hostile value put somewhere, and JSON that is no event at all. Imported as
 * `@rapport/testkit/arbitraries` by tests and benchmarks only (fast-check is a dev dependency).
 */
import { EVENT_TYPES } from '@rapport/schemas';
import fc from 'fast-check';
import { makeEvent } from './event-factories.js';

/** Numbers a hostile or careless producer sends where a number belongs. */
const hostileNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    1e14,
    1e15,
    1e21,
    1e308,
    -1e308,
    -1e-320,
    5e-324,
    -0,
    2 ** 32,
    2 ** 53 + 2,
    99_999_999_999_999.98,
    'NaN',
    'Infinity',
    '-Infinity',
    '1e400',
    '0x10',
    '',
    null,
    true,
  ),
  fc.double(),
  fc.integer(),
);

/** Strings a hostile producer sends as ids or text: lone surrogates, controls, long ones. */
const hostileString: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    '\ud800',
    'a\udfff',
    '\u0000',
    'a\nb',
    '\u0085',
    '\u202e',
    '😀',
    ' ',
    '__proto__',
  ),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ minLength: 60, maxLength: 300 }),
);

/** Marks where JSON nested this deep goes into the body (JSON.stringify cannot write it). */
const deepMarker = (depth: number) => `\u0000deep:${depth}\u0000`;

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileNumber,
  hostileString,
  fc.integer({ min: 1, max: 20_000 }).map(deepMarker),
  fc.jsonValue({ maxDepth: 4 }),
);

/** Where the hostile value goes, as a path of keys into an event. */
const TARGETS: readonly (readonly (string | number)[])[] = [
  ['eventId'],
  ['customerId'],
  ['anonymousId'],
  ['timestamp'],
  ['sentAt'],
  ['channel'],
  ['type'],
  ['context'],
  ['context', 'ip'],
  ['context', 'page', 'url'],
  ['properties'],
  ['properties', 'revenue'],
  ['properties', 'amount'],
  ['properties', 'currency'],
  ['properties', 'orderId'],
  ['properties', 'items', 0, 'price'],
  ['properties', 'items', 0, 'quantity'],
  ['properties', 'items', 0, 'sku'],
  ['properties', 'score'],
  ['properties', 'resultsCount'],
  ['properties', 'traits'],
  ['properties', 'traits', 'email'],
  ['properties', 'extra'],
];

function setAt(
  target: Record<string, unknown>,
  path: readonly (string | number)[],
  value: unknown,
) {
  let node: Record<string | number, unknown> = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node[key] =
      next !== null && typeof next === 'object' ? next : typeof key === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** A valid event of any type, with its own id (or none, to have one derived). */
export const validEvent: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    type: fc.constantFrom(...EVENT_TYPES),
    id: fc.option(fc.uuid(), { nil: undefined }),
    customer: fc.integer({ min: 1, max: 50 }),
    minutes: fc.integer({ min: 0, max: 60 * 24 * 365 }),
  })
  .map(({ type, id, customer, minutes }) =>
    makeEvent(type, {
      eventId: id,
      customerId: `fuzz-${customer}`,
      timestamp: new Date(Date.UTC(2024, 0, 1) + minutes * 60_000).toISOString(),
    }),
  );

/** A valid event with one value replaced by a hostile one. */
export const hostileEvent: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(validEvent, fc.constantFrom(...TARGETS), hostileValue)
  .map(([event, path, value]) => {
    const copy = structuredClone(event);
    setAt(copy, path, value);
    return copy;
  });

/** A request body: one event, a batch, or JSON that is neither. */
export const ingestBody: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .array(fc.oneof(validEvent, hostileEvent), { minLength: 1, maxLength: 20 })
      .map((events) => ({ events })),
  },
  { weight: 2, arbitrary: hostileEvent },
  { weight: 1, arbitrary: validEvent },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 })
      .map((events) => ({ events })),
  },
);

/** The JSON text of a body, with deep nesting written in where it was marked. */
export function toJsonBody(body: unknown): string {
  return JSON.stringify(body).replace(/"\\u0000deep:(\d+)\\u0000"/g, (_, depth: string) => {
    const n = Number(depth);
    return `${'['.repeat(n)}${']'.repeat(n)}`;
  });
}

/** How many events a body holds, when it is one event or a batch ({ events: [...] }). */
export function eventCountOf(body: unknown): number | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  if (!('events' in body)) return 1;
  return Array.isArray(body.events) ? body.events.length : undefined;
}
