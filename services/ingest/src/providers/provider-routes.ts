import type { EventBus } from '@rapport/bus';
import type { Config } from '@rapport/config';
import { HttpError } from '@rapport/http';
import type { Metrics } from '@rapport/observability';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { createIngestEvents } from '../ingest-events.js';
import {
  type ProviderEmailEvent,
  type ReadResult,
  toRapportEvent,
} from './provider-email-event.js';
import { providerMetrics } from './provider-metrics.js';
import { readMailgunEvent } from './read-mailgun-event.js';
import { readSendgridEvent } from './read-sendgrid-event.js';
import { resolveCustomer, type FindCustomersByEmail } from './resolve-customer.js';
import { sendgridPublicKey, verifySendgridSignature } from './verify-sendgrid-signature.js';
import { verifyMailgunSignature } from './verify-mailgun-signature.js';

export interface ProviderRoutesOptions {
  bus: EventBus;
  limits: Config['ingest'];
  keys: Config['providers'];
  metrics: Metrics;
  /** Email-trait lookup; without it only events carrying a customer id are recorded. */
  findCustomersByEmail?: FindCustomersByEmail;
  now?: () => number;
}

/** What a webhook post came to, per provider event (indexes are those of the post). */
export interface ProviderWebhookAnswer {
  received: number;
  accepted: number;
  duplicates: number;
  skipped: { index: number; reason: string }[];
  rejected: { index: number; path: string; message: string }[];
}

type Provider = ProviderEmailEvent['provider'];

/**
 * POST /v1/webhooks/sendgrid and /v1/webhooks/mailgun. The signature is the credential (no
 * API key): a request that fails it is answered 401 and counted. Events are then recorded as
 * email events through the same checks as POST /v1/events; events that cannot be tied to a
 * customer, or that Rapport does not record, are skipped and listed. The answer is 200 once
 * the signature holds, so the provider does not retry what would fail again.
 */
export const providerRoutes: FastifyPluginAsync<ProviderRoutesOptions> = async (app, options) => {
  const counters = providerMetrics(options.metrics);
  const ingest = createIngestEvents({
    bus: options.bus,
    limits: options.limits,
    metrics: options.metrics,
    ...(options.now ? { now: options.now } : {}),
  });
  const sendgridKey =
    options.keys.sendgridVerificationKey === undefined
      ? undefined
      : sendgridPublicKey(options.keys.sendgridVerificationKey);

  // The signature covers the body as sent: in this plugin alone JSON arrives as raw bytes.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: options.limits.maxBodyBytes },
    (_request, body, done) => done(null, body),
  );

  const refuse = (provider: Provider, reason: 'invalid_signature' | 'bad_request') => {
    counters.requests.inc({ provider, outcome: reason });
  };

  async function record(provider: Provider, reads: ReadResult[]): Promise<ProviderWebhookAnswer> {
    const answer: ProviderWebhookAnswer = {
      received: reads.length,
      accepted: 0,
      duplicates: 0,
      skipped: [],
      rejected: [],
    };
    const events: unknown[] = [];
    const indexes: number[] = [];
    // One lookup per address in a post: a batch often holds several events of one recipient.
    const find = options.findCustomersByEmail;
    const looked = new Map<string, Promise<readonly string[]>>();
    const findOnce =
      find &&
      ((email: string) => {
        const key = email.toLowerCase();
        let found = looked.get(key);
        if (found === undefined) looked.set(key, (found = find(email)));
        return found;
      });
    for (const [index, read] of reads.entries()) {
      const resolved = read.ok ? await resolveCustomer(read.event, findOnce) : read;
      if (!resolved.ok) {
        answer.skipped.push({ index, reason: resolved.skip });
        continue;
      }
      events.push(
        toRapportEvent((read as { event: ProviderEmailEvent }).event, resolved.customerId),
      );
      indexes.push(index);
    }
    const size = options.limits.maxEventsPerRequest;
    for (let start = 0; start < events.length; start += size) {
      const { body } = await ingest({ events: events.slice(start, start + size) });
      answer.accepted += body.accepted;
      answer.duplicates += body.duplicates;
      for (const rejected of body.rejected) {
        const index = indexes[start + rejected.index]!;
        answer.rejected.push({ index, path: rejected.path, message: rejected.message });
      }
    }
    counters.requests.inc({ provider, outcome: 'ok' });
    counters.events.inc({ provider, outcome: 'stored' }, answer.accepted);
    counters.events.inc({ provider, outcome: 'duplicate' }, answer.duplicates);
    counters.events.inc({ provider, outcome: 'skipped' }, answer.skipped.length);
    counters.events.inc({ provider, outcome: 'rejected' }, answer.rejected.length);
    return answer;
  }

  const rawBodyOf = (request: FastifyRequest, provider: Provider): Buffer => {
    if (!Buffer.isBuffer(request.body)) {
      refuse(provider, 'bad_request');
      throw new HttpError(415, 'the body must be JSON (Content-Type: application/json)');
    }
    return request.body;
  };

  const parse = (raw: Buffer, provider: Provider): unknown => {
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch (error) {
      refuse(provider, 'bad_request');
      throw new HttpError(400, `the body is not valid JSON: ${(error as Error).message}`);
    }
  };

  const notConfigured = (provider: string, variable: string) =>
    new HttpError(404, `${provider} webhooks are not configured: set ${variable}`);

  app.post(
    '/v1/webhooks/sendgrid',
    {
      config: { scope: 'public' },
      schema: { tags: ['ingest'], summary: 'SendGrid Event Webhook (signed)' },
    },
    async (request) => {
      if (sendgridKey === undefined) {
        throw notConfigured('SendGrid', 'RAPPORT_SENDGRID_VERIFICATION_KEY');
      }
      const raw = rawBodyOf(request, 'sendgrid');
      const header = (name: string) => {
        const value = request.headers[name];
        return typeof value === 'string' ? value : undefined;
      };
      const verified = verifySendgridSignature({
        key: sendgridKey,
        signature: header('x-twilio-email-event-webhook-signature'),
        timestamp: header('x-twilio-email-event-webhook-timestamp'),
        rawBody: raw,
      });
      if (!verified) {
        refuse('sendgrid', 'invalid_signature');
        throw new HttpError(401, 'the SendGrid signature does not match the body');
      }
      const body = parse(raw, 'sendgrid');
      if (!Array.isArray(body)) {
        refuse('sendgrid', 'bad_request');
        throw new HttpError(400, 'the body must be a JSON array of SendGrid events');
      }
      return record('sendgrid', body.map(readSendgridEvent));
    },
  );

  app.post(
    '/v1/webhooks/mailgun',
    {
      config: { scope: 'public' },
      schema: { tags: ['ingest'], summary: 'Mailgun webhook (signed)' },
    },
    async (request) => {
      const signingKey = options.keys.mailgunSigningKey;
      if (signingKey === undefined) throw notConfigured('Mailgun', 'RAPPORT_MAILGUN_SIGNING_KEY');
      const body = parse(rawBodyOf(request, 'mailgun'), 'mailgun') as Record<string, unknown>;
      if (!verifyMailgunSignature({ signingKey, signature: body?.signature })) {
        refuse('mailgun', 'invalid_signature');
        throw new HttpError(401, 'the Mailgun signature does not match its timestamp and token');
      }
      return record('mailgun', [readMailgunEvent(body['event-data'])]);
    },
  );
};
