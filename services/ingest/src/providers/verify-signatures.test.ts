import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readSendgridEvent } from './read-sendgrid-event.js';
import { sendgridPublicKey, verifySendgridSignature } from './verify-sendgrid-signature.js';
import { verifyMailgunSignature } from './verify-mailgun-signature.js';

/** The example SendGrid's own libraries test their verification with. */
const SENDGRID_EXAMPLE = {
  key: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==',
  body: '{"category":"example_payload","event":"test_event","message_id":"message_id"}',
  signature:
    'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=',
  timestamp: '1588788367',
};

/** SendGrid's example of a real signed post: one dropped event, with the trailing CRLF. */
const SENDGRID_DROPPED = {
  key: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==',
  body:
    '[{"email":"hello@world.com","event":"dropped","reason":"Bounced Address",' +
    '"sg_event_id":"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA",' +
    '"sg_message_id":"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0",' +
    '"smtp-id":"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>","timestamp":1600112492}]\r\n',
  signature:
    'MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=',
  timestamp: '1600112502',
};

describe('SendGrid signature', () => {
  const check = (
    example: typeof SENDGRID_EXAMPLE,
    change: Partial<typeof SENDGRID_EXAMPLE> = {},
  ) => {
    const { key, body, signature, timestamp } = { ...example, ...change };
    return verifySendgridSignature({
      key: sendgridPublicKey(key),
      signature,
      timestamp,
      rawBody: Buffer.from(body),
    });
  };

  it("accepts SendGrid's documented examples", () => {
    expect(check(SENDGRID_EXAMPLE)).toBe(true);
    expect(check(SENDGRID_DROPPED)).toBe(true);
  });

  it('refuses another body, timestamp, signature or key', () => {
    expect(check(SENDGRID_EXAMPLE, { body: SENDGRID_EXAMPLE.body.replace('test', 'best') })).toBe(
      false,
    );
    expect(check(SENDGRID_EXAMPLE, { timestamp: '1588788368' })).toBe(false);
    expect(check(SENDGRID_EXAMPLE, { key: SENDGRID_DROPPED.key })).toBe(false);
    expect(check(SENDGRID_EXAMPLE, { signature: SENDGRID_DROPPED.signature })).toBe(false);
    expect(check(SENDGRID_EXAMPLE, { signature: 'not base64 DER' })).toBe(false);
    expect(check(SENDGRID_EXAMPLE, { signature: '' })).toBe(false);
  });

  it('verifies a post signed with a key of our own, given as base64 DER or PEM', () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const body = Buffer.from('[{"event":"open"}]');
    const signature = sign(
      'sha256',
      Buffer.concat([Buffer.from('1700000000'), body]),
      pair.privateKey,
    );
    const der = pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const pem = pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    for (const key of [der, pem]) {
      expect(
        verifySendgridSignature({
          key: sendgridPublicKey(key),
          signature: signature.toString('base64'),
          timestamp: '1700000000',
          rawBody: body,
        }),
      ).toBe(true);
    }
  });

  it('reads the documented dropped event as a bounce, without the reason text', () => {
    const [raw] = JSON.parse(SENDGRID_DROPPED.body) as unknown[];
    const read = readSendgridEvent(raw);
    expect(read).toMatchObject({
      ok: true,
      event: {
        action: 'bounced',
        time: 1_600_112_492_000,
        providerEventId: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA',
        email: 'hello@world.com',
        campaignId: 'unattributed',
        details: { providerEvent: 'dropped' },
      },
    });
    expect(JSON.stringify(read)).not.toContain('Bounced Address');
  });
});

describe('Mailgun signature', () => {
  const key = 'test-signing-key-0f3a9c';
  const signed = (timestamp: string, token: string) =>
    createHmac('sha256', key)
      .update(timestamp + token)
      .digest('hex');

  it('accepts the HMAC of timestamp and token, and nothing else', () => {
    const token = 'e0b5477167110d68991efc6b9f89f0a11066af27834600e123';
    const good = { timestamp: '1770920772', token, signature: signed('1770920772', token) };
    expect(verifyMailgunSignature({ signingKey: key, signature: good })).toBe(true);
    expect(
      verifyMailgunSignature({ signingKey: key, signature: { ...good, timestamp: 1770920772 } }),
    ).toBe(true);
    expect(verifyMailgunSignature({ signingKey: 'another-key-123', signature: good })).toBe(false);
    expect(
      verifyMailgunSignature({ signingKey: key, signature: { ...good, token: `${token}x` } }),
    ).toBe(false);
    expect(
      verifyMailgunSignature({ signingKey: key, signature: { ...good, signature: 'abc' } }),
    ).toBe(false);
    expect(verifyMailgunSignature({ signingKey: key, signature: undefined })).toBe(false);
  });
});
