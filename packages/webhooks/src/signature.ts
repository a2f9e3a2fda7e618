import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries the signature of a webhook request. */
export const SIGNATURE_HEADER = 'Rapport-Signature';

/** How far a request's timestamp may be from the receiver's clock by default (5 minutes). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

type Body = string | Uint8Array;

function hmacHex(options: { secret: string; timestamp: number; body: Body }): string {
  return createHmac('sha256', options.secret)
    .update(`${options.timestamp}.`)
    .update(options.body)
    .digest('hex');
}

/**
 * The Rapport-Signature value of a request: `t=<unix seconds>,v1=<hex HMAC-SHA256>`, the HMAC
 * keyed with the shared secret over `<t>.<body>` (the timestamp, a dot, the raw body bytes).
 * Signing the timestamp with the body lets receivers refuse a captured request replayed later.
 */
export function signPayload(options: { secret: string; timestamp: number; body: Body }): string {
  if (!Number.isSafeInteger(options.timestamp) || options.timestamp < 0) {
    throw new RangeError('the timestamp must be whole seconds since 1970');
  }
  return `t=${options.timestamp},v1=${hmacHex(options)}`;
}

/**
 * True when `header` (the Rapport-Signature value) signs `body` with `secret` and its
 * timestamp is within `toleranceSeconds` of `now` (unix seconds; default the current time).
 * `body` must be the raw bytes received, before any JSON parsing. Several v1 entries may be
 * present (one per secret while secrets are rotated): one match is enough. Signatures are
 * compared in constant time.
 */
export function verifySignature(options: {
  secret: string;
  header: string | null | undefined;
  body: Body;
  toleranceSeconds: number;
  now?: number;
}): boolean {
  const { secret, header, body, toleranceSeconds } = options;
  if (!header) return false;
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (name === 't' && /^[0-9]{1,15}$/.test(value)) timestamp = Number(value);
    else if (name === 'v1' && /^[0-9a-f]{64}$/i.test(value))
      signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || signatures.length === 0) return false;
  const now = options.now ?? Date.now() / 1000;
  if (Math.abs(now - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex({ secret, timestamp, body }), 'hex');
  // Every candidate is compared, so the time taken does not tell which one matched.
  let matched = false;
  for (const signature of signatures) {
    if (timingSafeEqual(signature, expected)) matched = true;
  }
  return matched;
}
