import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Mailgun signs each webhook with an HMAC-SHA256 (hex) of `timestamp + token`, keyed with the
 * account's webhook signing key, and sends the three values inside the JSON body.
 */
export function verifyMailgunSignature(input: { signingKey: string; signature: unknown }): boolean {
  const { signingKey, signature } = input;
  if (signature === null || typeof signature !== 'object') return false;
  const { timestamp, token, signature: given } = signature as Record<string, unknown>;
  const stamp = typeof timestamp === 'number' ? String(timestamp) : timestamp;
  if (typeof stamp !== 'string' || typeof token !== 'string' || typeof given !== 'string') {
    return false;
  }
  const expected = createHmac('sha256', signingKey)
    .update(stamp + token)
    .digest();
  const presented = Buffer.from(given, 'hex');
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
