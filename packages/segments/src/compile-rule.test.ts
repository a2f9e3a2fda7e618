import { scopeParams } from '@rapport/profiles';
import type { FieldOperator, RuleValue, SegmentRule } from '@rapport/schemas';
import { insertRows, openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRule } from './compile-rule.js';
import { matchingProfilesSql } from './matching-profiles-sql.js';
import { FIELD_CATALOGUE, type FieldSpec } from './field-catalogue.js';
import { readLatestEvaluations } from './store/evaluations.js';
import { InvalidRuleError } from './rule-issues.js';
import {
  DAY,
  NOW,
  featuresParams,
  insertEvents,
  matching,
  matchingLive,
  writeFeatures,
} from './test-support.js';

/*
 * Five profiles:
 * - c:ada  repeat buyer (2 orders: 50 + 120), traits plan=gold age=40 vip=true, email sent+opened,
 *          an anonymous page view (a:x) linked to her; RFM 544 Champions; clv; cluster 0
 * - c:bob  lapsed (one order of 30, 100 days ago, on mobile), traits plan=silver age="40" vip=false;
 *          RFM 111 Lost; clv; cluster 1
 * - c:cyd  lead (page views, a search, no order), traits age=25.5 tags=[…]; no RFM; cluster 1
 * - c:dee  customer (one order of 80 in store, a refund of 20), email sent+bounced; RFM 313
 * - a:vic  visitor (one page view); cluster 2
 */
const RUN = 'features-1';
const RUNS = { rfmRun: 'rfm-1', clvRun: 'clv-1', clustersRun: 'k-1' };
const EVERYONE = ['a:vic', 'c:ada', 'c:bob', 'c:cyd', 'c:dee'];

let test: TestStore;

beforeAll(async () => {
  test = await openTestStore();
  const { store } = test;
  await insertEvents(store, [
    { type: 'page_view', anonymousId: 'x', daysAgo: 40 },
    {
      type: 'identify',
      anonymousId: 'x',
      customerId: 'ada',
      daysAgo: 39,
      properties: { traits: { plan: 'gold', age: 40, vip: true, nick: 'Ada' } },
    },
    {
      type: 'purchase',
      customerId: 'ada',
      daysAgo: 5,
      amount: 50,
      properties: { items: [{ category: 'books' }] },
    },
    {
      type: 'purchase',
      customerId: 'ada',
      daysAgo: 20,
      amount: 120,
      properties: { items: [{ category: 'garden' }, { category: 'books' }] },
    },
    {
      type: 'email',
      customerId: 'ada',
      daysAgo: 10,
      channel: 'email',
      properties: { action: 'sent' },
    },
    {
      type: 'email',
      customerId: 'ada',
      daysAgo: 9,
      channel: 'email',
      properties: { action: 'opened' },
    },
    {
      type: 'identify',
      customerId: 'bob',
      daysAgo: 200,
      properties: { traits: { plan: 'silver', age: '40', vip: false } },
    },
    {
      type: 'purchase',
      customerId: 'bob',
      daysAgo: 100,
      amount: 30,
      channel: 'mobile',
      properties: { items: [{ category: 'toys' }] },
    },
    {
      type: 'identify',
      customerId: 'cyd',
      daysAgo: 10,
      properties: { traits: { age: 25.5, tags: ['a'] } },
    },
    { type: 'page_view', customerId: 'cyd', daysAgo: 2 },
    { type: 'page_view', customerId: 'cyd', daysAgo: 1 },
    { type: 'search', customerId: 'cyd', daysAgo: 1 },
    {
      type: 'purchase',
      customerId: 'dee',
      daysAgo: 30,
      amount: 80,
      channel: 'store',
      properties: { items: [{ category: 'books' }] },
    },
    { type: 'refund', customerId: 'dee', daysAgo: 25, amount: 20, channel: 'store' },
    {
      type: 'email',
      customerId: 'dee',
      daysAgo: 30,
      channel: 'email',
      properties: { action: 'sent' },
    },
    {
      type: 'email',
      customerId: 'dee',
      daysAgo: 30,
      channel: 'email',
      properties: { action: 'bounced' },
    },
    { type: 'page_view', anonymousId: 'vic', daysAgo: 3 },
  ]);
  const rfm = (customer_id: string, r: number, f: number, m: number, segment: string) => ({
    run_id: RUNS.rfmRun,
    customer_id,
    as_of: NOW,
    recency_days: customer_id === 'ada' ? 5 : 100,
    frequency: f,
    monetary: customer_id === 'ada' ? 170 : 30,
    r,
    f,
    m,
    score: `${r}${f}${m}`,
    segment,
  });
  await insertRows(store, 'rfm_scores', [
    rfm('ada', 5, 4, 4, 'Champions'),
    rfm('bob', 1, 1, 1, 'Lost'),
    rfm('dee', 3, 1, 3, 'About to Sleep'),
  ]);
  const clv = (customer_id: string, p_alive: number, value: number) => ({
    run_id: RUNS.clvRun,
    customer_id,
    as_of: NOW,
    orders: 1,
    x: 0,
    t_x: 0,
    T: 1,
    mean_value: 0,
    p_alive,
    expected_orders: p_alive * 2,
    expected_order_value: 50,
    expected_value: value * 1.1,
    clv: value,
  });
  await insertRows(store, 'clv_scores', [clv('ada', 0.9, 300), clv('bob', 0.2, 10)]);
  await insertRows(
    store,
    'cluster_assignments',
    [
      ['c:ada', 0],
      ['c:bob', 1],
      ['c:cyd', 1],
      ['a:vic', 2],
    ].map(([profile_key, cluster]) => ({
      run_id: RUNS.clustersRun,
      profile_key,
      cluster,
      distance: 0,
    })),
  );
  await writeFeatures(store, featuresParams(RUN, RUNS));
});

afterAll(async () => {
  await test.dispose();
});

const field = (name: string, op: string, value?: unknown) =>
  ({ type: 'field', field: name, op, ...(value === undefined ? {} : { value }) }) as SegmentRule;
const not = (rule: SegmentRule): SegmentRule => ({ type: 'not', rule });

async function expectMatches(rule: SegmentRule, keys: string[]) {
  expect(await matching(test.store, rule, RUN), JSON.stringify(rule)).toEqual([...keys].sort());
}

const iso = (daysAgo: number) => new Date(NOW - daysAgo * DAY).toISOString();

describe('number fields', () => {
  it.each([
    [field('orders', 'gte', 1), ['c:ada', 'c:bob', 'c:dee']],
    [field('orders', 'eq', 2), ['c:ada']],
    [field('orders', 'neq', 0), ['c:ada', 'c:bob', 'c:dee']],
    [field('events', 'gt', 4), ['c:ada']],
    [field('events', 'lt', 3), ['a:vic', 'c:bob']],
    [field('events', 'lte', 2), ['a:vic', 'c:bob']],
    [field('revenue', 'between', [50, 170]), ['c:ada', 'c:dee']],
    [field('orders', 'in', [0, 2]), ['a:vic', 'c:ada', 'c:cyd']],
    [field('orders', 'notIn', [0]), ['c:ada', 'c:bob', 'c:dee']],
    [field('netRevenue', 'eq', 60), ['c:dee']],
    [field('refundedAmount', 'gt', 0), ['c:dee']],
    [field('refunds', 'eq', 1), ['c:dee']],
    [field('pageViews', 'eq', 2), ['c:cyd']],
    [field('visits', 'eq', 2), ['c:cyd']],
    [field('searches', 'gte', 1), ['c:cyd']],
    [field('clicks', 'eq', 0), EVERYONE],
    [field('interactions', 'gt', 0), []],
    [field('categoryBreadth', 'eq', 2), ['c:ada']],
    [field('email.sent', 'eq', 1), ['c:ada', 'c:dee']],
    [field('email.opened', 'eq', 1), ['c:ada']],
    [field('email.bounced', 'gt', 0), ['c:dee']],
    [field('email.delivered', 'gt', 0), []],
    [field('email.clicked', 'eq', 0), EVERYONE],
    [field('email.unsubscribed', 'eq', 0), EVERYONE],
    [field('email.openRate', 'gte', 1), ['c:ada']],
    [field('email.clickRate', 'exists'), ['c:ada', 'c:dee']],
  ])('%j', async (rule, keys) => {
    await expectMatches(rule, keys);
  });

  it('treats a missing value as failing every comparison, and its not as passing', async () => {
    await expectMatches(field('averageOrderValue', 'gte', 80), ['c:ada', 'c:dee']);
    await expectMatches(field('averageOrderValue', 'neq', 85), ['c:bob', 'c:dee']);
    await expectMatches(not(field('averageOrderValue', 'eq', 85)), [
      'a:vic',
      'c:bob',
      'c:cyd',
      'c:dee',
    ]);
    await expectMatches(field('averageOrderValue', 'notIn', [85]), ['c:bob', 'c:dee']);
    await expectMatches(field('averageOrderValue', 'exists'), ['c:ada', 'c:bob', 'c:dee']);
    await expectMatches(field('averageOrderValue', 'notExists'), ['a:vic', 'c:cyd']);
  });
});

describe('time fields', () => {
  it.each([
    [field('lastSeen', 'inLastDays', 7), ['a:vic', 'c:ada', 'c:cyd']],
    [field('lastSeen', 'notInLastDays', 7), ['c:bob', 'c:dee']],
    [field('firstSeen', 'before', '2024-03-01T02:00:00+02:00'), ['c:bob']],
    [field('firstSeen', 'after', iso(35)), ['a:vic', 'c:cyd', 'c:dee']],
    // dee's order is exactly 30 days ago: not after, but within an inclusive between
    [field('lastOrderAt', 'after', iso(30)), ['c:ada']],
    [field('lastOrderAt', 'between', [iso(60), iso(30)]), ['c:dee']],
    [field('lastOrderAt', 'notInLastDays', 60), ['c:bob']],
    [not(field('lastOrderAt', 'inLastDays', 60)), ['a:vic', 'c:bob', 'c:cyd']],
    [field('lastOrderAt', 'exists'), ['c:ada', 'c:bob', 'c:dee']],
  ])('%j', async (rule, keys) => {
    await expectMatches(rule, keys);
  });
});

describe('list, enum and boolean fields', () => {
  it.each([
    [field('categories', 'includes', 'books'), ['c:ada', 'c:dee']],
    [field('categories', 'excludes', 'books'), ['a:vic', 'c:bob', 'c:cyd']],
    [field('categories', 'includesAny', ['toys', 'garden']), ['c:ada', 'c:bob']],
    [field('channels', 'includes', 'mobile'), ['c:bob']],
    [field('channels', 'includes', 'email'), ['c:ada', 'c:dee']],
    [field('lifecycle', 'eq', 'lead'), ['c:cyd']],
    [field('lifecycle', 'eq', 'customer'), ['c:dee']],
    [field('lifecycle', 'eq', 'visitor'), ['a:vic']],
    [field('lifecycle', 'in', ['repeat', 'lapsed']), ['c:ada', 'c:bob']],
    [field('lifecycle', 'neq', 'visitor'), ['c:ada', 'c:bob', 'c:cyd', 'c:dee']],
    [field('lifecycle', 'notIn', ['visitor', 'lead']), ['c:ada', 'c:bob', 'c:dee']],
    [field('identified', 'eq', true), ['c:ada', 'c:bob', 'c:cyd', 'c:dee']],
    [field('identified', 'eq', false), ['a:vic']],
  ])('%j', async (rule, keys) => {
    await expectMatches(rule, keys);
  });
});

describe('scores from the latest runs', () => {
  it.each([
    [field('rfm.r', 'gte', 3), ['c:ada', 'c:dee']],
    // two-valued logic: without a score, "not r >= 3" holds
    [not(field('rfm.r', 'gte', 3)), ['a:vic', 'c:bob', 'c:cyd']],
    [field('rfm.f', 'eq', 1), ['c:bob', 'c:dee']],
    [field('rfm.m', 'lt', 4), ['c:bob', 'c:dee']],
    [field('rfm.recencyDays', 'lt', 10), ['c:ada']],
    [field('rfm.frequency', 'eq', 4), ['c:ada']],
    [field('rfm.monetary', 'gt', 100), ['c:ada']],
    [field('rfm.segment', 'eq', 'Lost'), ['c:bob']],
    [field('rfm.segment', 'neq', 'Lost'), ['c:ada', 'c:dee']],
    [not(field('rfm.segment', 'eq', 'Lost')), ['a:vic', 'c:ada', 'c:cyd', 'c:dee']],
    [field('rfm.segment', 'in', ['Champions', 'About to Sleep']), ['c:ada', 'c:dee']],
    [field('rfm.score', 'startsWith', '5'), ['c:ada']],
    [field('rfm.score', 'endsWith', '3'), ['c:dee']],
    [field('rfm.score', 'contains', '1'), ['c:bob', 'c:dee']],
    [field('rfm.score', 'notContains', '1'), ['c:ada']],
    [field('rfm.score', 'in', ['111', '544']), ['c:ada', 'c:bob']],
    [field('rfm.score', 'notExists'), ['a:vic', 'c:cyd']],
    [field('cluster', 'eq', 1), ['c:bob', 'c:cyd']],
    [field('cluster', 'notIn', [1]), ['a:vic', 'c:ada']],
    [field('cluster', 'notExists'), ['c:dee']],
    [field('clv.pAlive', 'gt', 0.5), ['c:ada']],
    [field('clv.clv', 'exists'), ['c:ada', 'c:bob']],
    [field('clv.expectedOrders', 'lt', 1), ['c:bob']],
    [field('clv.expectedValue', 'gt', 300), ['c:ada']],
  ])('%j', async (rule, keys) => {
    await expectMatches(rule, keys);
  });
});

describe('traits', () => {
  it.each([
    [field('traits.plan', 'eq', 'gold'), ['c:ada']],
    [field('traits.plan', 'neq', 'gold'), ['c:bob']],
    [not(field('traits.plan', 'eq', 'gold')), ['a:vic', 'c:bob', 'c:cyd', 'c:dee']],
    [field('traits.plan', 'in', ['gold', 'silver']), ['c:ada', 'c:bob']],
    [field('traits.plan', 'notIn', ['gold']), ['c:bob']],
    [field('traits.plan', 'contains', 'il'), ['c:bob']],
    [field('traits.plan', 'notContains', 'ol'), ['c:bob']],
    [field('traits.plan', 'startsWith', 'go'), ['c:ada']],
    [field('traits.plan', 'endsWith', 'er'), ['c:bob']],
    [field('traits.plan', 'exists'), ['c:ada', 'c:bob']],
    [field('traits.plan', 'notExists'), ['a:vic', 'c:cyd', 'c:dee']],
    // a number compares with numbers only: bob's age is the string "40"
    [field('traits.age', 'eq', 40), ['c:ada']],
    [field('traits.age', 'eq', '40'), ['c:bob']],
    [field('traits.age', 'gt', 30), ['c:ada']],
    [field('traits.age', 'between', [20, 30]), ['c:cyd']],
    [field('traits.age', 'in', [25.5, 40]), ['c:ada', 'c:cyd']],
    [field('traits.age', 'neq', 40), ['c:bob', 'c:cyd']],
    [field('traits.vip', 'eq', true), ['c:ada']],
    [field('traits.vip', 'eq', false), ['c:bob']],
    [field('traits.vip', 'neq', true), ['c:bob']],
    [field('traits.nick', 'gt', 'A'), ['c:ada']],
    [field('traits.tags', 'exists'), ['c:cyd']],
    [field('traits.tags', 'eq', 'a'), []],
  ])('%j', async (rule, keys) => {
    await expectMatches(rule, keys);
  });
});

describe('and, or, not', () => {
  it.each([
    [
      { type: 'and', rules: [field('orders', 'gte', 1), field('lifecycle', 'neq', 'lapsed')] },
      ['c:ada', 'c:dee'],
    ],
    [
      {
        type: 'or',
        rules: [field('lifecycle', 'eq', 'visitor'), field('traits.plan', 'eq', 'silver')],
      },
      ['a:vic', 'c:bob'],
    ],
    [
      not({ type: 'or', rules: [field('orders', 'eq', 0), field('rfm.r', 'eq', 1)] }),
      ['c:ada', 'c:dee'],
    ],
    [
      { type: 'and', rules: [not(field('orders', 'eq', 0)), not(not(field('cluster', 'exists')))] },
      ['c:ada', 'c:bob'],
    ],
  ] as [SegmentRule, string[]][])('%j', async (rule, keys) => {
    await expectMatches(rule, keys);
  });
});

describe('segment conditions', () => {
  beforeAll(async () => {
    const result = (run_id: string, profile_key: string) => ({
      run_id,
      segment_id: 'vip',
      version: 1,
      profile_key,
    });
    await insertRows(test.store, 'segment_results', [
      result('s-1', 'c:ada'),
      result('s-1', 'c:bob'),
      result('s-2', 'c:dee'),
      { run_id: 's-2', segment_id: 'other', version: 1, profile_key: 'c:cyd' },
    ]);
    const evaluation = (segment_id: string, run_id: string, daysAgo: number) => ({
      segment_id,
      run_id,
      version: 1,
      evaluated_at: NOW - daysAgo * DAY,
      members: 1,
      entered: 0,
      exited: 0,
      seconds: 0,
    });
    await insertRows(test.store, 'segment_evaluations', [
      evaluation('vip', 's-1', 2),
      evaluation('vip', 's-2', 1),
    ]);
  });

  it('matches the members of the latest evaluation only', async () => {
    await expectMatches({ type: 'segment', segmentId: 'vip' }, ['c:dee']);
    await expectMatches(not({ type: 'segment', segmentId: 'vip' }), [
      'a:vic',
      'c:ada',
      'c:bob',
      'c:cyd',
    ]);
  });

  it('matches nobody for a segment never evaluated', async () => {
    await expectMatches({ type: 'segment', segmentId: 'other' }, []);
  });

  it('follows the evaluation the segment store calls latest when two share a time', async () => {
    const at = NOW - DAY;
    await insertRows(test.store, 'segment_results', [
      { run_id: 's-3', segment_id: 'tied', version: 1, profile_key: 'c:ada' },
      { run_id: 's-4', segment_id: 'tied', version: 1, profile_key: 'c:bob' },
    ]);
    const evaluation = (run_id: string) => ({
      segment_id: 'tied',
      run_id,
      version: 1,
      evaluated_at: at,
      members: 1,
      entered: 1,
      exited: 0,
      seconds: 0,
    });
    await insertRows(test.store, 'segment_evaluations', [evaluation('s-3'), evaluation('s-4')]);
    const latest = (await readLatestEvaluations(test.store, ['tied'])).get('tied');
    expect(latest?.runId).toBe('s-4');
    await expectMatches({ type: 'segment', segmentId: 'tied' }, ['c:bob']);
  });
});

describe('segment conditions compiled in place (streaming evaluation)', () => {
  /** The scoped rule over every profile, `inline` giving the rules of segments in place. */
  async function scopedMatches(
    rule: SegmentRule,
    inline: (segmentId: string) => SegmentRule | undefined,
  ) {
    const compiled = compileRule(rule, { now: NOW, scoped: true, inline });
    const rows = await test.store.query<{ profile_key: string }>(
      matchingProfilesSql(compiled.where, 'live', { scoped: true }),
      {
        ...featuresParams('', RUNS),
        ...compiled.params,
        ...(await scopeParams(test.store, EVERYONE)),
      },
    );
    return { sql: compiled.where, keys: rows.map((row) => row.profile_key).sort() };
  }

  it('reads the referred segment’s rule, not its membership (none is written here)', async () => {
    const gold = field('traits.plan', 'eq', 'gold');
    const { sql, keys } = await scopedMatches(
      { type: 'and', rules: [{ type: 'segment', segmentId: 'gold' }, field('orders', 'gte', 1)] },
      (id) => (id === 'gold' ? gold : undefined),
    );
    expect(sql).not.toContain('segment_membership');
    expect(keys).toEqual(await matchingLive(test.store, gold, featuresParams('', RUNS)));
    expect(keys).toEqual(['c:ada']);
  });

  it('reads membership for a segment it is not given, and for one that refers back to itself', async () => {
    const loop: SegmentRule = { type: 'not', rule: { type: 'segment', segmentId: 'loop' } };
    const { sql, keys } = await scopedMatches({ type: 'segment', segmentId: 'loop' }, (id) =>
      id === 'loop' ? loop : undefined,
    );
    // loop in place, then its own reference read from (empty) membership: everyone.
    expect(sql.match(/segment_membership/g)).toHaveLength(1);
    expect(keys).toEqual(EVERYONE);
    const other = await scopedMatches({ type: 'segment', segmentId: 'other' }, () => undefined);
    expect(other.sql).toContain('segment_membership');
    expect(other.keys).toEqual([]);
  });
});

describe('the live source', () => {
  it('gives the same answer as the stored run', async () => {
    const rules: SegmentRule[] = [
      field('orders', 'gte', 1),
      not(field('rfm.r', 'gte', 3)),
      field('traits.plan', 'eq', 'gold'),
      field('lastSeen', 'inLastDays', 7),
      field('cluster', 'eq', 1),
      {
        type: 'and',
        rules: [field('identified', 'eq', true), { type: 'event', event: 'page_view' }],
      },
      { type: 'segment', segmentId: 'vip' },
    ];
    for (const rule of rules) {
      const live = await matchingLive(test.store, rule, featuresParams('live', RUNS));
      expect(live, JSON.stringify(rule)).toEqual(await matching(test.store, rule, RUN));
    }
  });
});

describe('compileRule', () => {
  it('binds every value and the evaluation time as parameters', () => {
    const compiled = compileRule(
      {
        type: 'and',
        rules: [
          field('orders', 'gte', 2),
          field('traits.plan', 'in', ['gold']),
          field('lastSeen', 'inLastDays', 7),
        ],
      },
      { now: NOW },
    );
    expect(compiled.params).toEqual({
      rule_now: NOW,
      rule_p0: 2,
      rule_p1: 'plan',
      rule_p2: ['gold'],
      rule_p3: 7,
    });
    expect(compiled.where).toContain('{rule_p0:Float64}');
    expect(compiled.where).toContain('{rule_now:Int64}');
    expect(compiled.where).not.toMatch(/gold|plan|'2'/);
  });

  it('refuses a rule that does not validate', () => {
    expect(() => compileRule(field('nope', 'eq', 1), { now: NOW })).toThrow(InvalidRuleError);
    expect(() => compileRule(field('orders', 'eq', '1; DROP TABLE events'), { now: NOW })).toThrow(
      /expected a number/,
    );
  });
});

function sampleValue(spec: FieldSpec, op: FieldOperator): RuleValue | undefined {
  if (op === 'exists' || op === 'notExists') return undefined;
  if (op === 'inLastDays' || op === 'notInLastDays') return 30;
  const one: string | number | boolean =
    spec.type === 'number'
      ? 1
      : spec.type === 'time'
        ? iso(30)
        : spec.type === 'boolean'
          ? true
          : (spec.values?.[0] ?? 'x');
  if (op === 'between') return spec.type === 'time' ? [iso(60), iso(30)] : [one, one];
  if (op === 'in' || op === 'notIn' || op === 'includesAny') return [one];
  return one;
}

describe('the field catalogue', () => {
  it('runs every operator of every field against the engine', async () => {
    const fields = FIELD_CATALOGUE.filter((spec) => spec.type !== 'json');
    expect(fields.length).toBeGreaterThan(40);
    for (const spec of fields) {
      for (const op of spec.operators) {
        const value = sampleValue(spec, op);
        const rule = {
          type: 'field',
          field: spec.name,
          op,
          ...(value === undefined ? {} : { value }),
        } as SegmentRule;
        const keys = await matching(test.store, rule, RUN);
        expect(EVERYONE, JSON.stringify(rule)).toEqual(expect.arrayContaining(keys));
      }
    }
  });
});
