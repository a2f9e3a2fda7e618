import { CONSENT_GRANTED, requiresConsentSchema } from '@rapport/schemas';
import { describe, expect, it } from 'vitest';
import { CONSENT_GRANTED as CONSOLE_GRANTED, parsePurposes } from './app/consent.js';

// The console checks the purposes a marketer types as the API checks `requiresConsent`, with
// the schema's rules written out (importing them would bundle zod): the two must agree.
const CASES: string[][] = [
  [],
  ['marketing'],
  ['marketing', 'analytics', 'sms_2'],
  ['a'],
  ['a'.repeat(32)],
  ['a'.repeat(33)],
  ['Marketing'],
  ['marketing!'],
  ['1st'],
  ['_marketing'],
  ['e-mail'],
  ['marketing', 'marketing'],
  ['publicité'],
  Array.from({ length: 10 }, (_, i) => `p${i}`),
  Array.from({ length: 11 }, (_, i) => `p${i}`),
];

describe('the purposes typed in the segment editor', () => {
  it.each(CASES.map((purposes) => [purposes.join(', '), purposes] as const))(
    'are taken or refused as the API does: %s',
    (text, purposes) => {
      const shown = parsePurposes(text);
      expect(shown.purposes).toEqual(purposes);
      expect(shown.error === null).toBe(requiresConsentSchema.safeParse(purposes).success);
    },
  );

  it('read a list with spaces and a trailing comma, and name what is wrong', () => {
    expect(parsePurposes(' marketing ,analytics, ')).toEqual({
      purposes: ['marketing', 'analytics'],
      error: null,
    });
    expect(parsePurposes('marketing, Ads').error).toMatch(/"Ads" must be 1–32 of a-z 0-9 _/);
    expect(parsePurposes('sms, sms').error).toBe('names a purpose twice ("sms")');
  });

  it('take the value of a granted consent from the schemas', () => {
    expect(CONSOLE_GRANTED).toBe(CONSENT_GRANTED);
  });
});
