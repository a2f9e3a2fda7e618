// CONSENT_PURPOSE, CONSENT_GRANTED and MAX_REQUIRED_CONSENTS of @rapport/schemas, written out:
// importing the values would bundle zod into the console (a test checks that they agree).
const CONSENT_PURPOSE = /^[a-z][a-z0-9_]{0,31}$/;
export const CONSENT_GRANTED = 'granted';
const MAX_REQUIRED_CONSENTS = 10;

/** The consent purposes typed in, comma-separated, checked as the API checks `requiresConsent`. */
export function parsePurposes(text: string): { purposes: string[]; error: string | null } {
  const purposes = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const bad = purposes.find((purpose) => !CONSENT_PURPOSE.test(purpose));
  if (bad !== undefined)
    return {
      purposes,
      error: `"${bad}" must be 1–32 of a-z 0-9 _, starting with a letter (e.g. marketing)`,
    };
  if (purposes.length > MAX_REQUIRED_CONSENTS)
    return { purposes, error: `at most ${MAX_REQUIRED_CONSENTS} purposes` };
  const twice = purposes.find((purpose, index) => purposes.indexOf(purpose) !== index);
  if (twice !== undefined) return { purposes, error: `names a purpose twice ("${twice}")` };
  return { purposes, error: null };
}

/** What requiring consent means, in one line. */
export const CONSENT_MEANING = `Members must have granted each purpose: their latest consent_<purpose> trait is "${CONSENT_GRANTED}".`;
