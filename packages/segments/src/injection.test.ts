import type { SegmentRule } from '@rapport/schemas';
import { openTestStore, type TestStore } from '@rapport/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRule } from './compile-rule.js';
import { matchingProfilesSql } from './matching-profiles-sql.js';
import { NOW, featuresParams, insertEvents, matching, writeFeatures } from './test-support.js';

/**
 * Hostile text as values, trait names and property keys. Each profile holds one of these
 * literally; a rule naming it must match that profile (and any whose text contains it, for
 * `contains`), never everyone, and the text must never appear in the SQL.
 */
const CORPUS = [
  "O'Brien",
  "it''s",
  'back\\slash',
  'trailing\\',
  "\\'",
  'quote" double',
  '-- comment',
  'x /* block */ y',
  "') OR 1=1 --",
  "' OR '1'='1",
  "x'); DROP TABLE events; --",
  '{x:String}',
  '{rule_p99:String}',
  '{featuresRun:UInt8} {rule_now:String}',
  'line\nbreak',
  'cr\r\nlf',
  'tab\there',
  '😀🎉 emoji',
  'שלום עולם \u200f RTL',
  'e\u0301 combining a\u0308',
  '%_ like*',
  '`backtick`',
  '$1 ?',
  '\\N',
  'zero\u200bwidth',
];

const RUN = 'features-1';
const keyOf = (index: number) => `c:inj${index}`;

let test: TestStore;

beforeAll(async () => {
  test = await openTestStore();
  await insertEvents(test.store, [
    ...CORPUS.flatMap((text, index) => [
      {
        type: 'identify',
        customerId: `inj${index}`,
        daysAgo: 2,
        properties: { traits: { t: text, [text]: 'yes' } },
      },
      {
        type: 'track',
        customerId: `inj${index}`,
        daysAgo: 1,
        properties: { name: 'probe', [text]: text, items: [{ sku: 'plain' }, { [text]: text }] },
        context: { campaign: { source: text } },
      },
    ]),
    // a control profile holding plain text everywhere
    {
      type: 'identify',
      customerId: 'plain',
      daysAgo: 2,
      properties: { traits: { t: 'plain', k: 'yes' } },
    },
    {
      type: 'track',
      customerId: 'plain',
      daysAgo: 1,
      properties: { name: 'probe', k: 'plain', items: [{ k: 'plain' }] },
      context: { campaign: { source: 'plain' } },
    },
  ]);
  await writeFeatures(test.store, featuresParams(RUN));
});

afterAll(async () => {
  await test.dispose();
});

const track = (field: string, op: 'eq' | 'exists', value?: string): SegmentRule => ({
  type: 'event',
  event: 'track',
  where: [{ field, op, ...(value === undefined ? {} : { value }) }],
});

function rulesFor(text: string): { rule: SegmentRule; containing?: boolean }[] {
  const rules: { rule: SegmentRule; containing?: boolean }[] = [
    { rule: { type: 'field', field: 'traits.t', op: 'eq', value: text } },
    { rule: { type: 'field', field: 'traits.t', op: 'in', value: [text, 'absent'] } },
    { rule: { type: 'field', field: 'traits.t', op: 'startsWith', value: text } },
    { rule: { type: 'field', field: 'traits.t', op: 'contains', value: text }, containing: true },
    { rule: { type: 'field', field: `traits.${text}`, op: 'eq', value: 'yes' } },
    { rule: { type: 'field', field: `traits.${text}`, op: 'exists' } },
    { rule: track('context.campaign.source', 'eq', text) },
  ];
  // a dot separates path segments, so only dot-free text can be a property key
  if (!text.includes('.')) {
    rules.push(
      { rule: track(`properties.${text}`, 'eq', text) },
      { rule: track(`properties.${text}`, 'exists') },
      { rule: track(`properties.items.${text}`, 'eq', text) },
    );
  }
  return rules;
}

describe('hostile text in rules', () => {
  it.each(CORPUS.map((text, index) => [JSON.stringify(text), text, index] as const))(
    '%s matches exactly the profile holding it',
    async (_label, text, index) => {
      for (const { rule, containing } of rulesFor(text)) {
        const expected = containing
          ? CORPUS.flatMap((other, at) => (other.includes(text) ? [keyOf(at)] : []))
          : [keyOf(index)];
        expect(await matching(test.store, rule, RUN), JSON.stringify(rule)).toEqual(
          expected.sort(),
        );

        const compiled = compileRule(rule, { now: NOW });
        for (const sql of [compiled.where, matchingProfilesSql(compiled.where, 'snapshot')]) {
          expect(sql.includes(text), `${JSON.stringify(text)} in SQL`).toBe(false);
        }
      }
    },
  );

  it('the control profile matches its own plain text', async () => {
    expect(
      await matching(
        test.store,
        { type: 'field', field: 'traits.t', op: 'eq', value: 'plain' },
        RUN,
      ),
    ).toEqual(['c:plain']);
    expect(await matching(test.store, track('properties.items.k', 'eq', 'plain'), RUN)).toEqual([
      'c:plain',
    ]);
  });
});
