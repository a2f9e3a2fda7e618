import { createPublicKey } from 'node:crypto';
import { z } from 'zod';

/**
 * SendGrid's Event Webhook verification key as its settings page shows it: base64 of the DER
 * public key (SubjectPublicKeyInfo). A PEM block is taken too. It must be an ECDSA P-256 key,
 * the kind SendGrid signs with.
 */
const sendgridKey = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z
    .string()
    .optional()
    .superRefine((value, context) => {
      if (value === undefined) return;
      const problem = sendgridKeyProblem(value);
      if (problem !== undefined) context.addIssue({ code: 'custom', message: problem });
    }),
);

function sendgridKeyProblem(value: string): string | undefined {
  try {
    const key = value.includes('-----BEGIN')
      ? createPublicKey(value)
      : createPublicKey({ key: Buffer.from(value.trim(), 'base64'), format: 'der', type: 'spki' });
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return key.asymmetricKeyType === 'ec' && curve === 'prime256v1'
      ? undefined
      : 'must be an ECDSA P-256 public key (the Event Webhook verification key)';
  } catch {
    return 'is not a public key: paste the verification key of the signed Event Webhook (base64)';
  }
}

/** Email-provider webhooks; each route answers only once its provider's key is set. */
export const providerEnvShape = {
  /** SendGrid's Event Webhook verification key: POST /v1/webhooks/sendgrid needs it. */
  RAPPORT_SENDGRID_VERIFICATION_KEY: sendgridKey,
  /** Mailgun's HTTP webhook signing key: POST /v1/webhooks/mailgun needs it. */
  RAPPORT_MAILGUN_SIGNING_KEY: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.string().min(8, 'must be the webhook signing key (8 characters or more)').optional(),
  ),
};

export interface ProviderConfig {
  readonly sendgridVerificationKey?: string;
  readonly mailgunSigningKey?: string;
}

export function providerConfigOf(env: {
  RAPPORT_SENDGRID_VERIFICATION_KEY?: string | undefined;
  RAPPORT_MAILGUN_SIGNING_KEY?: string | undefined;
}): ProviderConfig {
  return {
    ...(env.RAPPORT_SENDGRID_VERIFICATION_KEY === undefined
      ? {}
      : { sendgridVerificationKey: env.RAPPORT_SENDGRID_VERIFICATION_KEY }),
    ...(env.RAPPORT_MAILGUN_SIGNING_KEY === undefined
      ? {}
      : { mailgunSigningKey: env.RAPPORT_MAILGUN_SIGNING_KEY }),
  };
}
