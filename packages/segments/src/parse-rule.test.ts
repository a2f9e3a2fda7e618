import { MAX_RULE_DEPTH, MAX_RULE_NODES } from '@rapport/schemas';
import { describe, expect, it } from 'vitest';
import { parseRule } from './parse-rule.js';
import type { RuleIssue } from './rule-issues.js';

function issuesOf(input: unknown): RuleIssue[] {
  const parsed = parseRule(input);
  if (parsed.ok) throw new Error(`expected issues, the rule parsed: ${JSON.stringify(input)}`);
  return parsed.issues;
}

/** The single issue of a rule, checked for its pointer and for words of its message. */
function onlyIssue(input: unknown, path: string, ...words: (string | RegExp)[]) {
  const issues = issuesOf(input);
  expect(issues.map((issue) => issue.path)).toEqual([path]);
  for (const word of words) expect(issues[0]?.message).toMatch(word);
}

const field = (name: string, op: string, value?: unknown) => ({
  type: 'field',
  field: name,
  op,
  ...(value === undefined ? {} : { value }),
});

describe('parseRule', () => {
  it('accepts a rule using every node type and returns it unchanged', () => {
    const rule = {
      type: 'and',
      rules: [
        field('orders', 'gte', 2),
        field('lastSeen', 'inLastDays', 30),
        field('lastOrderAt', 'between', ['2024-01-01T00:00:00Z', '2024-02-01T00:00:00+01:00']),
        field('lifecycle', 'in', ['lead', 'customer']),
        field('rfm.segment', 'eq', "Can't Lose Them"),
        field('rfm.r', 'notExists'),
        field('categories', 'includesAny', ['books']),
        field('identified', 'eq', true),
        field('traits.plan', 'in', ['gold', 'silver']),
        { type: 'not', rule: { type: 'segment', segmentId: 'vip_2024' } },
        {
          type: 'or',
          rules: [
            {
              type: 'event',
              event: 'purchase',
              where: [
                { field: 'amount', op: 'between', value: [10, 20] },
                { field: 'properties.items.category', op: 'eq', value: 'books' },
                { field: 'context.campaign.source', op: 'startsWith', value: 'news' },
                { field: 'channel', op: 'in', value: ['web', 'store'] },
              ],
              count: { atMost: 3 },
              within: { lastDays: 90 },
            },
            { type: 'event', event: 'email', count: { exactly: 0 } },
          ],
        },
      ],
    };
    expect(parseRule(rule)).toEqual({ ok: true, rule });
  });

  it('points at the root for input that is not a rule', () => {
    onlyIssue(null, '', /^must be an object, not null$/);
    onlyIssue('orders > 2', '', /^must be an object, not a string$/);
  });

  it('turns zod issue paths into JSON Pointers', () => {
    onlyIssue(
      { type: 'and', rules: [field('orders', 'gt', 1), { type: 'bogus' }] },
      '/rules/1/type',
      /'and'/,
    );
    onlyIssue({ ...field('orders', 'gt', 1), extra: 1 }, '/extra', /unknown key "extra"/);
    onlyIssue({ ...field('orders', 'gt', 1), 'a/b~c': 1 }, '/a~1b~0c', /unknown key/);
    onlyIssue(field('orders', 'greater', 1), '/op', /^must be one of "eq", "neq", /);
    onlyIssue({ type: 'not' }, '/rule', /^is required$/);
    onlyIssue(
      field('orders', 'eq', { n: 1 }),
      '/value',
      /a string .* a number, a boolean, or a list/,
    );
    onlyIssue(
      { type: 'event', event: 'purchase', count: { atLeast: 1, atMost: 2 } },
      '/count',
      /atLeast.*atMost.*exactly/,
    );
    onlyIssue(
      { type: 'event', event: 'purchase', within: { lastDays: 0 } },
      '/within/lastDays',
      /^must be at least 1$/,
    );
    onlyIssue({ type: 'event', event: 'identity_unlink' }, '/event', /page_view/);
  });

  it('names unknown fields, suggesting the closest or listing them all', () => {
    onlyIssue(
      field('lastSeenAt', 'inLastDays', 3),
      '/field',
      /unknown field "lastSeenAt"/,
      /did you mean "lastSeen"/,
    );
    onlyIssue(field('pageviews', 'gt', 3), '/field', /did you mean "pageViews"/);
    onlyIssue(field('email.opens', 'gt', 3), '/field', /did you mean "email.opened"/);
    onlyIssue(
      field('zodiacSign', 'eq', 'leo'),
      '/field',
      /fields are: events, visits/,
      /traits\.<name>/,
    );
    onlyIssue(field('traits.', 'exists'), '/field', /needs a trait name/);
  });

  it('lists the operators a field allows when the operator does not fit', () => {
    onlyIssue(
      field('lastSeen', 'contains', 'x'),
      '/op',
      /"contains" does not apply to lastSeen \(time\)/,
      /before, after, between, inLastDays, notInLastDays/,
    );
    // exists only where a value can be missing
    onlyIssue(
      field('orders', 'exists'),
      '/op',
      /use one of: eq, neq, gt, gte, lt, lte, between, in, notIn$/,
    );
    expect(parseRule(field('averageOrderValue', 'exists')).ok).toBe(true);
    onlyIssue(field('identified', 'neq', true), '/op', /use one of: eq$/);
    onlyIssue(field('categories', 'eq', 'books'), '/op', /includes, excludes, includesAny/);
    onlyIssue(field('lifecycle', 'contains', 'lead'), '/op', /eq, neq, in, notIn/);
  });

  it('checks that the value is there, of the right type and arity', () => {
    onlyIssue(field('orders', 'gt'), '/value', /orders gt needs a value: a number/);
    onlyIssue(field('orders', 'gt', '5'), '/value', /expected a number, got the string "5"/);
    onlyIssue(field('orders', 'gt', [5]), '/value', /takes one value/);
    onlyIssue(field('averageOrderValue', 'exists', 1), '/value', /exists takes no value/);
    onlyIssue(field('orders', 'between', [1]), '/value', /between needs \[lo, hi\]/);
    onlyIssue(field('orders', 'between', [1, 2, 3]), '/value', /between needs \[lo, hi\]/);
    onlyIssue(field('orders', 'between', 3), '/value', /between needs \[lo, hi\]/);
    onlyIssue(field('orders', 'between', [5, 1]), '/value', /lo <= hi/);
    onlyIssue(field('orders', 'between', [1, 'x']), '/value/1', /expected a number/);
    onlyIssue(field('orders', 'in', []), '/value', /in needs a non-empty list/);
    onlyIssue(field('orders', 'in', 2), '/value', /in needs a non-empty list/);
    onlyIssue(field('orders', 'notIn', [1, true]), '/value/1', /expected a number, got true/);
    onlyIssue(field('identified', 'eq', 'yes'), '/value', /expected true or false/);
    onlyIssue(field('rfm.score', 'startsWith', 5), '/value', /expected a string/);
    onlyIssue(field('categories', 'includesAny', 'books'), '/value', /non-empty list/);
  });

  it('refuses numbers the store cannot bind, wherever they sit, at the pointer of the value', () => {
    // 1e20 once saved, then failed every segments run ("Refusing to serialize unsafe integer").
    onlyIssue(
      field('revenue', 'gt', 1e20),
      '/value',
      /100000000000000000000 is out of range/,
      /2\^53 - 1/,
    );
    onlyIssue(field('orders', 'in', [1, -1e308]), '/value/1', /out of range/);
    onlyIssue(field('traits.age', 'between', [0, 2 ** 53]), '/value/1', /out of range/);
    onlyIssue(field('traits.age', 'eq', 1e300), '/value', /out of range/);
    onlyIssue(
      {
        type: 'event',
        event: 'purchase',
        where: [{ field: 'amount', op: 'gte', value: 1.5e19 }],
      },
      '/where/0/value',
      /out of range/,
    );
    onlyIssue(
      {
        type: 'event',
        event: 'purchase',
        where: [{ field: 'properties.items.price', op: 'in', value: [1, 2, 9.1e15] }],
      },
      '/where/0/value/2',
      /out of range/,
    );
    for (const edge of [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 5e-324, -0]) {
      expect(parseRule(field('revenue', 'lt', edge)).ok).toBe(true);
    }
    expect(issuesOf(field('revenue', 'gt', Infinity)).map((issue) => issue.path)).toEqual([
      '/value',
    ]);
  });

  it('checks enum values against the allowed ones', () => {
    onlyIssue(
      field('lifecycle', 'eq', 'vip'),
      '/value',
      /"vip" is not an allowed value/,
      /visitor, lead, customer, repeat, lapsed/,
    );
    onlyIssue(field('lifecycle', 'in', ['lead', 'Lapsed']), '/value/1', /did you mean "lapsed"/);
    onlyIssue(field('rfm.segment', 'eq', 'champions'), '/value', /did you mean "Champions"/);
    onlyIssue(
      field('channels', 'includes', 'fax'),
      '/value',
      /not an allowed value/,
      /web, mobile/,
    );
  });

  it('checks date-times and day counts', () => {
    onlyIssue(field('lastSeen', 'before', '2024-01-01'), '/value', /ISO date-time with an offset/);
    onlyIssue(field('lastSeen', 'after', '2024-01-01T00:00:00'), '/value', /ISO date-time/);
    onlyIssue(
      field('lastSeen', 'between', ['yesterday', '2024-01-01T00:00:00Z']),
      '/value/0',
      /ISO/,
    );
    onlyIssue(
      field('lastSeen', 'between', ['2024-01-02T00:00:00Z', '2024-01-02T01:00:00+02:00']),
      '/value',
      /lo <= hi/,
    );
    onlyIssue(field('lastSeen', 'inLastDays', 0), '/value', /whole number of days/);
    onlyIssue(field('lastSeen', 'notInLastDays', 1.5), '/value', /whole number of days/);
    onlyIssue(
      {
        type: 'event',
        event: 'purchase',
        within: { from: '2024-02-01T00:00:00Z', to: '2024-01-01T00:00:00Z' },
      },
      '/within',
      /from .* is after to/,
    );
    onlyIssue(
      { type: 'event', event: 'purchase', within: { from: 'x', to: '2024-01-01T00:00:00Z' } },
      '/within/from',
      /^must be an ISO-8601 date-time$/,
    );
  });

  it('checks trait values by their type', () => {
    onlyIssue(field('traits.vip', 'gt', true), '/value', /expected a string or a number, got true/);
    onlyIssue(field('traits.tier', 'in', ['a', 1]), '/value', /all strings or all numbers/);
    onlyIssue(field('traits.tier', 'contains', 5), '/value', /expected a string, got 5/);
    onlyIssue(
      field('traits.tier', 'before', '2024-01-01T00:00:00Z'),
      '/op',
      /does not apply to traits.tier \(json\)/,
    );
    expect(parseRule(field('traits.signup', 'between', ['2024-01', '2024-06'])).ok).toBe(true);
  });

  it('checks event filters: fields, operators and values', () => {
    const event = (where: unknown[]) => ({ type: 'event', event: 'purchase', where });
    onlyIssue(
      event([{ field: 'colour', op: 'eq', value: 'red' }]),
      '/where/0/field',
      /unknown event filter field "colour"/,
      /properties\.<path>/,
    );
    onlyIssue(
      event([{ field: 'chanel', op: 'eq', value: 'web' }]),
      '/where/0/field',
      /did you mean "channel"/,
    );
    onlyIssue(
      event([{ field: 'properties..sku', op: 'exists' }]),
      '/where/0/field',
      /empty path segment/,
    );
    onlyIssue(
      event([{ field: 'channel', op: 'gt', value: 'web' }]),
      '/where/0/op',
      /eq, neq, in, notIn/,
    );
    onlyIssue(
      event([{ field: 'channel', op: 'eq', value: 'fax' }]),
      '/where/0/value',
      /not an allowed value/,
    );
    onlyIssue(
      event([{ field: 'amount', op: 'contains', value: '1' }]),
      '/where/0/op',
      /amount \(number\)/,
    );
    onlyIssue(
      event([{ field: 'amount', op: 'gte', value: '10' }]),
      '/where/0/value',
      /expected a number/,
    );
    onlyIssue(
      event([{ field: 'properties.items.price', op: 'between', value: [9, 1] }]),
      '/where/0/value',
      /lo <= hi/,
    );
  });

  it('checks the shape of a segment id only', () => {
    onlyIssue({ type: 'segment', segmentId: 'Bad Id!' }, '/segmentId', /a-z 0-9/);
    expect(parseRule({ type: 'segment', segmentId: 'no-such-segment' }).ok).toBe(true);
  });

  it(`refuses rules deeper than ${MAX_RULE_DEPTH} levels, at the first node too deep`, () => {
    let rule: unknown = field('orders', 'gt', 1);
    for (let level = 1; level < MAX_RULE_DEPTH; level++) rule = { type: 'not', rule };
    expect(parseRule(rule).ok).toBe(true);
    onlyIssue({ type: 'not', rule }, `/rule`.repeat(MAX_RULE_DEPTH), /at most 12 levels/);
  });

  it(`refuses rules of more than ${MAX_RULE_NODES} nodes`, () => {
    const and = { type: 'and', rules: Array.from({ length: 4 }, () => field('orders', 'gt', 1)) };
    const rule = { type: 'or', rules: Array.from({ length: 40 }, () => and) }; // 1 + 40 × 5
    onlyIssue(rule, '', /201 nodes; at most 200/);
    expect(parseRule({ type: 'or', rules: rule.rules.slice(1) }).ok).toBe(true);
  });

  it('survives a hostile nesting depth', () => {
    let rule: unknown = field('orders', 'gt', 1);
    for (let level = 0; level < 100_000; level++) rule = { type: 'not', rule };
    const issues = issuesOf(rule);
    expect(issues.some((issue) => /at most 12 levels/.test(issue.message))).toBe(true);
  });

  it('reports every issue of a rule at once', () => {
    const issues = issuesOf({
      type: 'and',
      rules: [
        field('ordrs', 'gt', 1),
        field('lastSeen', 'eq', 'x'),
        field('lifecycle', 'eq', 'vip'),
        { type: 'event', event: 'purchase', where: [{ field: 'amount', op: 'gt' }], extra: true },
        { type: 'segment', segmentId: '-x' },
      ],
    });
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      '/rules/0/field',
      '/rules/1/op',
      '/rules/2/value',
      '/rules/3/extra',
      '/rules/3/where/0/value',
      '/rules/4/segmentId',
    ]);
  });
});
