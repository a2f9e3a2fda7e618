import type { z } from 'zod';

/**
 * The ranges an event's values must keep to, set by the columns they land in. Ingest checks
 * events against them before they reach the store, and the pipeline checks what it reads off
 * the bus against them again: a value the store cannot hold fails the whole insert, and with
 * it the events of every other producer in the same batch.
 */

/**
 * Amounts (purchase revenue, refund amount, item price) are stored as Decimal(18, 4): up to
 * 99,999,999,999,999.9999. An amount must be smaller than this, also after conversion into
 * the reporting currency.
 */
export const MAX_AMOUNT = 1e14;

/** Counts (item quantity, search results) as a UInt32 holds them. */
export const MAX_COUNT = 4_294_967_295;

/** Interaction scores are kept to the amount range, so they can be summed as amounts are. */
export const MAX_SCORE = MAX_AMOUNT;

/**
 * Times are stored as DateTime64(3): 1900-01-01 to 2299-12-31 (epoch milliseconds). Event
 * times are held to a narrower window (from a configurable floor to a day ahead) when they
 * are normalised.
 */
export const MIN_STORED_TIME = Date.UTC(1900, 0, 1);
export const MAX_STORED_TIME = Date.UTC(2300, 0, 1) - 1;

/**
 * The window an event's time must fall in once corrected for clock skew: from a floor
 * (RAPPORT_EARLIEST_EVENT_TIME, EARLIEST_EVENT_TIME unless configured, never before
 * MIN_STORED_TIME) to MAX_EVENT_LEAD_MS after the server's clock. History imported from old
 * systems reaches back decades (the public CDNOW purchase log starts in 1997), so the default
 * floor is 1990. Jobs hold their `asOf` to MIN_STORED_TIME and the same lead: an event stored
 * while the floor was lower still counts.
 */
export const EARLIEST_EVENT_TIME = Date.UTC(1990, 0, 1);
export const MAX_EVENT_LEAD_MS = 24 * 60 * 60 * 1000;

/**
 * Objects and arrays inside an event may nest this deep (the event itself is level 1).
 * Deeper JSON cannot be serialised safely (recursion) and no query reads that far.
 */
export const MAX_NESTING_DEPTH = 32;

/** A value's place in an event, as `properties.items[0].price`. */
function pathOf(parts: readonly (string | number)[]): string {
  return parts
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${part}`,
    )
    .join('');
}

/**
 * The path of the first value nested deeper than `maxDepth` (the top value is at depth 1), or
 * undefined. Walks without recursion, so any depth JSON.parse accepted is safe to check.
 */
export function tooDeepPath(value: unknown, maxDepth = MAX_NESTING_DEPTH): string | undefined {
  const stack: { value: unknown; depth: number; path: (string | number)[] }[] = [
    { value, depth: 1, path: [] },
  ];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth > maxDepth) return pathOf(next.path);
    const entries: [string | number, unknown][] = Array.isArray(next.value)
      ? next.value.map((inner, index) => [index, inner])
      : Object.entries(next.value);
    for (const [key, inner] of entries) {
      if (inner !== null && typeof inner === 'object') {
        stack.push({ value: inner, depth: next.depth + 1, path: [...next.path, key] });
      }
    }
  }
  return undefined;
}

/**
 * Why an id cannot be used to find its customer or event again, or undefined when it can.
 * A lone UTF-16 surrogate has no UTF-8 form (the store refuses the insert, a URL cannot carry
 * it); a control character cannot be typed into a URL, a CSV or a log line faithfully.
 */
export function idProblem(id: string): string | undefined {
  for (let index = 0; index < id.length; index++) {
    const code = id.charCodeAt(index);
    if (code >= 0xd800 && code <= 0xdbff) {
      const low = id.charCodeAt(index + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        index++;
        continue;
      }
      return `has a lone surrogate (${hex(code)}) at position ${index}; ids must be valid Unicode`;
    }
    if (code >= 0xdc00 && code <= 0xdfff) {
      return `has a lone surrogate (${hex(code)}) at position ${index}; ids must be valid Unicode`;
    }
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) {
      return `has a control character (${hex(code)}) at position ${index}; ids must be printable`;
    }
  }
  return undefined;
}

/** The schema, refusing ids that idProblem finds fault with (the reason is the message). */
export function addressable(schema: z.ZodString) {
  return schema.superRefine((value, context) => {
    const problem = idProblem(value);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
  });
}

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
