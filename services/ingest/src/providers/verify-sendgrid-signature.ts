import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** The verification key as SendGrid shows it (base64 DER), or a PEM block. */
export function sendgridPublicKey(text: string): KeyObject {
  return text.includes('-----BEGIN')
    ? createPublicKey(text)
    : createPublicKey({ key: Buffer.from(text.trim(), 'base64'), format: 'der', type: 'spki' });
}

/**
 * SendGrid's signed Event Webhook: an ECDSA P-256 / SHA-256 signature (base64, ASN.1 DER) of
 * the timestamp header followed by the body exactly as sent, so the body must be read raw.
 */
export function verifySendgridSignature(input: {
  key: KeyObject;
  signature: string | undefined;
  timestamp: string | undefined;
  rawBody: Buffer;
}): boolean {
  const { key, signature, timestamp, rawBody } = input;
  if (!signature || !timestamp) return false;
  try {
    const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]);
    return verify('sha256', signed, key, Buffer.from(signature, 'base64'));
  } catch {
    // A signature that is not DER at all is as invalid as one that does not match.
    return false;
  }
}
