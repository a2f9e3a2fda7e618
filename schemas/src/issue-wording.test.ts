import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventSchema } from './index.js';

/** The messages of parsing `value` with `schema`, as "path: message". */
function messagesOf(schema: z.ZodType, value: unknown): string[] {
  const parsed = schema.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('issue wording', () => {
  it('says what a value must be and what it was', () => {
    const schema = z.object({ name: z.string(), count: z.number(), tags: z.array(z.string()) });
    expect(messagesOf(schema, { name: 5, count: 'three', tags: {} })).toEqual([
      'name: must be a string, not a number',
      'count: must be a number, not a string',
      'tags: must be an array, not an object',
    ]);
    expect(messagesOf(schema, { count: null, tags: ['a', 1] })).toEqual([
      'name: is required',
      'count: must be a number, not null',
      'tags.1: must be a string, not a number',
    ]);
  });

  it('words sizes, bounds, choices, formats and unknown fields', () => {
    const schema = z
      .object({
        id: z.string().min(1).max(3),
        n: z.number().int().gt(0).lte(10),
        list: z.array(z.number()).length(2),
        mode: z.enum(['fast', 'exact']),
        kind: z.literal('field'),
        email: z.email(),
        code: z.string().regex(/^[A-Z]{3}$/),
        step: z.number().multipleOf(5),
      })
      .strict();
    const messages = messagesOf(schema, {
      id: 'abcd',
      n: 0,
      list: [1],
      mode: 'slow',
      kind: 'event',
      email: 'nobody',
      code: 'usd',
      step: 7,
      extra: true,
    });
    expect(messages).toEqual([
      'id: must have at most 3 characters',
      'n: must be greater than 0',
      'list: must have exactly 2 items',
      'mode: must be one of "fast", "exact"',
      'kind: must be "field"',
      'email: must be an email address',
      'code: must match /^[A-Z]{3}$/',
      'step: must be a multiple of 5',
      ': has a field not accepted here: "extra"',
    ]);
    expect(messagesOf(z.string().min(2), '')).toEqual([': must have at least 2 characters']);
    expect(messagesOf(z.number().lt(3), 3)).toEqual([': must be less than 3']);
  });

  it("leaves a schema's own wording alone", () => {
    const messages = messagesOf(eventSchema, {
      type: 'page_view',
      anonymousId: 'a-1',
      timestamp: 'yesterday',
      properties: { url: 'https://example.com/' },
    });
    expect(messages).toEqual([
      'timestamp: must be an ISO-8601 date-time with a time zone offset, e.g. 2024-05-01T12:00:00Z',
    ]);
  });
});
