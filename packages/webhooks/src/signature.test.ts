import { describe, expect, it } from 'vitest';
import { signPayload, verifySignature } from './signature.js';

const secret = 'whsec_test_0123456789abcdef';
const body = '{"deliveryId":"d-1","changes":[]}';
const timestamp = 1_700_000_000;

describe('webhook signatures', () => {
  it('match a vector computed independently (HMAC-SHA256 of "<t>.<body>", hex)', () => {
    // printf '%s' '1700000000.{"deliveryId":"d-1","changes":[]}' | openssl dgst -sha256 -hmac 'whsec_test_0123456789abcdef'
    expect(signPayload({ secret, timestamp, body })).toBe(
      't=1700000000,v1=400ef9a1792b127d641c14e304423bf2603e1db3587def1b0ace78655b27c6ad',
    );
    expect(signPayload({ secret, timestamp, body: Buffer.from(body) })).toBe(
      signPayload({ secret, timestamp, body }),
    );
  });

  it('verify a signature made with the same secret over the same bytes, within the tolerance', () => {
    const header = signPayload({ secret, timestamp, body });
    expect(
      verifySignature({ secret, header, body, toleranceSeconds: 300, now: timestamp + 299 }),
    ).toBe(true);
    expect(
      verifySignature({
        secret,
        header,
        body: Buffer.from(body),
        toleranceSeconds: 300,
        now: timestamp - 10,
      }),
    ).toBe(true);
  });

  it('reject a tampered body, another secret, an old or future timestamp and a changed t', () => {
    const header = signPayload({ secret, timestamp, body });
    const check = (overrides: Partial<Parameters<typeof verifySignature>[0]>) =>
      verifySignature({
        secret,
        header,
        body,
        toleranceSeconds: 300,
        now: timestamp,
        ...overrides,
      });
    expect(check({})).toBe(true);
    expect(check({ body: body.replace('d-1', 'd-2') })).toBe(false);
    expect(check({ body: `${body} ` })).toBe(false);
    expect(check({ secret: `${secret}x` })).toBe(false);
    expect(check({ now: timestamp + 301 })).toBe(false);
    expect(check({ now: timestamp - 301 })).toBe(false);
    // Moving the timestamp forward to pass the tolerance check breaks the signature.
    expect(
      check({
        header: header.replace(`t=${timestamp}`, `t=${timestamp + 1000}`),
        now: timestamp + 1000,
      }),
    ).toBe(false);
  });

  it('reject missing or malformed headers and accept any one matching v1 (secret rotation)', () => {
    const good = signPayload({ secret, timestamp, body });
    const v1 = good.split(',v1=')[1]!;
    const check = (header: string | undefined) =>
      verifySignature({ secret, header, body, toleranceSeconds: 300, now: timestamp });
    expect(check(undefined)).toBe(false);
    expect(check('')).toBe(false);
    expect(check(`v1=${v1}`)).toBe(false);
    expect(check(`t=${timestamp}`)).toBe(false);
    expect(check(`t=${timestamp},v1=${v1.slice(0, 63)}`)).toBe(false);
    expect(check(`t=${timestamp},v0=${v1}`)).toBe(false);
    expect(check(`t=${timestamp},v1=${'0'.repeat(64)},v1=${v1}`)).toBe(true);
    expect(check(` t=${timestamp} , v1=${v1.toUpperCase()}`)).toBe(true);
  });
});
