import { HttpError } from '@rapport/http';
import { errorResponseSchema, ingestResponseSchema } from '@rapport/schemas';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createIngestCandidates, type IngestDeps } from '../ingest-events.js';
import { SEGMENT_CALLS, type SegmentCall } from './map-segment-message.js';
import {
  createSegmentCandidates,
  SEGMENT_MAX_BATCH_BYTES,
  SEGMENT_MAX_MESSAGE_BYTES,
} from './segment-messages.js';

/**
 * Segment's HTTP tracking API: /v1/batch and one route per call, under their long names
 * (the HTTP API, analytics-node) and the one-letter ones analytics.js posts to. The write key
 * is the basic-auth user name; it must be a Rapport key with the `ingest` scope.
 */
const ROUTES: ReadonlyArray<readonly [string[], SegmentCall | undefined]> = [
  [['/v1/batch', '/v1/b'], undefined],
  [['/v1/track', '/v1/t'], 'track'],
  [['/v1/identify', '/v1/i'], 'identify'],
  [['/v1/page', '/v1/p'], 'page'],
  [['/v1/screen', '/v1/s'], 'screen'],
  [['/v1/alias', '/v1/a'], 'alias'],
  [['/v1/group', '/v1/g'], 'group'],
];

/** Browsers post from the site's own origin, with an Authorization header: allow it. */
async function answerPreflight(request: FastifyRequest, reply: FastifyReply) {
  const asked = request.headers['access-control-request-headers'];
  return reply
    .status(204)
    .header('access-control-allow-methods', 'POST')
    .header('access-control-allow-headers', asked ?? 'authorization, content-type')
    .header('access-control-max-age', '86400')
    .send();
}

/** For the OpenAPI document only: messages are checked one by one by the handler. */
const segmentMessageSchema = z.looseObject({
  type: z.enum(SEGMENT_CALLS).optional().describe('the call; required in a batch'),
  messageId: z.string().optional().describe('the idempotency key (Rapport eventId)'),
  userId: z.string().optional(),
  anonymousId: z.string().optional(),
  timestamp: z.string().optional().describe('ISO-8601; else originalTimestamp, else receipt'),
  sentAt: z.string().optional().describe('client clock at send, for clock-skew correction'),
  event: z.string().optional().describe('track: the event name'),
  name: z.string().optional().describe('page, screen: the page or screen name'),
  previousId: z.string().optional().describe('alias: the id being linked to userId'),
  groupId: z.string().optional().describe('group: the group'),
  properties: z.looseObject({}).optional(),
  traits: z.looseObject({}).optional(),
  context: z.looseObject({}).optional(),
});
const segmentBatchSchema = z.looseObject({
  batch: z.array(segmentMessageSchema),
  sentAt: z.string().optional(),
  context: z.looseObject({}).optional(),
});

/** The native answer with Segment's `success`. */
const segmentResponseSchema = ingestResponseSchema.extend({
  success: z.boolean().describe('true when any message was stored or already stored'),
});

export const segmentPlugin: FastifyPluginAsyncZod<IngestDeps> = async (app, deps) => {
  const ingestCandidates = createIngestCandidates(deps);
  const segmentCandidates = createSegmentCandidates();
  const now = deps.now ?? Date.now;

  // On every answer of these routes, refusals included, so a browser can read them.
  app.addHook('onSend', async (_request, reply) => {
    void reply.header('access-control-allow-origin', '*');
  });

  // Segment answers 400 to a request over its size limits; Fastify's own answer is 413.
  app.setErrorHandler((error: FastifyError) => {
    if (error.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw error;
    throw new HttpError(
      400,
      `the request is larger than Segment's limits: ${SEGMENT_MAX_BATCH_BYTES} bytes for a batch, ${SEGMENT_MAX_MESSAGE_BYTES} for one message`,
    );
  });

  for (const [paths, call] of ROUTES) {
    for (const url of paths) {
      app.options(url, { config: { scope: 'public' }, schema: { hide: true } }, answerPreflight);
      app.post(
        url,
        {
          bodyLimit: call === undefined ? SEGMENT_MAX_BATCH_BYTES : SEGMENT_MAX_MESSAGE_BYTES,
          config: { scope: 'ingest' },
          schema: {
            tags: ['ingest'],
            hide: /^\/v1\/[a-z]$/.test(url),
            summary:
              call === undefined
                ? 'Segment-compatible batch of messages'
                : `Segment-compatible ${call} call`,
            description:
              'Segment message shapes, mapped to Rapport event types (see the README). The write ' +
              'key is the basic-auth user name. Each message is checked on its own: valid ones ' +
              'are stored even when others in the batch are rejected.',
            body: call === undefined ? segmentBatchSchema : segmentMessageSchema,
            response: {
              200: segmentResponseSchema,
              400: z.union([segmentResponseSchema, errorResponseSchema]),
            },
          },
          // Messages are checked one by one in the handler, so one bad message cannot sink a batch.
          validatorCompiler: () => (data: unknown) => ({ value: data }),
        },
        async (request, reply) => {
          const receivedAt = now();
          const candidates = segmentCandidates({
            body: request.body,
            ...(call === undefined ? {} : { call }),
            receivedAt,
            reportingCurrency: deps.limits.reportingCurrency,
            maxMessages: deps.limits.maxEventsPerRequest,
          });
          const outcome = await ingestCandidates(candidates, receivedAt);
          return reply
            .status(outcome.statusCode)
            .send({ success: outcome.statusCode === 200, ...outcome.body });
        },
      );
    }
  }
};
