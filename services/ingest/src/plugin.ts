import compress from '@fastify/compress';
import type { EventBus } from '@rapport/bus';
import type { Config } from '@rapport/config';
import { HttpError } from '@rapport/http';
import type { Metrics } from '@rapport/observability';
import { errorResponseSchema, ingestRequestSchema, ingestResponseSchema } from '@rapport/schemas';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createIngestEvents } from './ingest-events.js';
import { segmentPlugin } from './segment/segment-plugin.js';

export interface IngestPluginOptions {
  bus: EventBus;
  limits: Config['ingest'];
  metrics: Metrics;
  now?: () => number;
}

/**
 * POST /v1/events. The body may be gzip-, deflate- or brotli-compressed; the size limit
 * applies to the decompressed body. JSON is also read from text/plain, which is what
 * navigator.sendBeacon sends.
 */
export const ingestPlugin: FastifyPluginAsyncZod<IngestPluginOptions> = async (app, options) => {
  const ingestEvents = createIngestEvents(options);
  const { maxBodyBytes } = options.limits;

  await app.register(compress, {
    global: true,
    globalCompression: false,
    requestEncodings: ['gzip', 'deflate', 'br'],
    onUnsupportedRequestEncoding: (encoding) =>
      new HttpError(
        415,
        `Content-Encoding "${encoding}" is not supported; use gzip, deflate or br`,
      ),
    onInvalidRequestPayload: (encoding, _request, error) =>
      new HttpError(400, `the body is not valid ${encoding} data: ${error.message}`),
  });

  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: maxBodyBytes }, parseJson);

  app.post(
    '/v1/events',
    {
      bodyLimit: maxBodyBytes,
      config: { scope: 'ingest' },
      schema: {
        tags: ['ingest'],
        summary: 'Send one event or a batch of events',
        description:
          'Each event is validated on its own: valid events are stored even when others in the ' +
          'same batch are rejected. A 2xx answer means the accepted events are committed.',
        body: ingestRequestSchema,
        response: {
          200: ingestResponseSchema,
          400: z.union([ingestResponseSchema, errorResponseSchema]),
        },
      },
      // Events are validated one by one in the handler, so one bad event cannot sink a batch.
      validatorCompiler: () => (data: unknown) => ({ value: data }),
    },
    async (request, reply) => {
      const outcome = await ingestEvents(request.body);
      return reply.status(outcome.statusCode).send(outcome.body);
    },
  );

  await app.register(segmentPlugin, options);
};
