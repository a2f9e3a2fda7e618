import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { HttpError } from '@rapport/http';
import type { FastifyPluginAsync } from 'fastify';
import type { IngestDeps } from '../ingest-events.js';
import { createNdjsonImport } from './import-ndjson.js';

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];

function decoded(body: Readable, encoding: string | undefined): AsyncIterable<Buffer> {
  switch ((encoding ?? 'identity').toLowerCase()) {
    case 'identity':
      return body;
    case 'gzip':
      return body.pipe(createGunzip());
    case 'deflate':
      return body.pipe(createInflate());
    case 'br':
      return body.pipe(createBrotliDecompress());
    default:
      throw new HttpError(
        415,
        `Content-Encoding "${encoding}" is not supported; use gzip, deflate or br`,
      );
  }
}

/**
 * POST /v1/import (admin): history as NDJSON, one event a line (`?format=segment` for Segment
 * messages), read as it streams in: no body limit applies beyond one event's size per line.
 * The answer comes once the last line is stored and counts every line; the first rejections
 * are listed by line. Sent again, stored lines come back as duplicates.
 */
export const importRoute: FastifyPluginAsync<IngestDeps> = async (app, deps) => {
  const importNdjson = createNdjsonImport(deps);
  // Hand the body over unread: the import reads it line by line as it arrives.
  for (const type of NDJSON_TYPES) {
    app.addContentTypeParser(type, (_request, payload, done) => done(null, payload));
  }

  app.post(
    '/v1/import',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['ingest'],
        summary: 'Import history as streamed NDJSON (Rapport events or Segment messages)',
        description:
          'Content-Type application/x-ndjson, optionally gzip-encoded. Each line is checked on ' +
          'its own, as in POST /v1/events; the answer counts accepted, duplicate and rejected ' +
          `lines and lists the first rejections with their line numbers.`,
      },
    },
    async (request) => {
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (!NDJSON_TYPES.includes(type)) {
        throw new HttpError(
          415,
          `send NDJSON with Content-Type: application/x-ndjson (got "${type}")`,
        );
      }
      const { format = 'rapport' } = request.query as { format?: string };
      if (format !== 'rapport' && format !== 'segment') {
        throw new HttpError(400, `format must be rapport or segment (got "${format}")`);
      }
      const encoding = request.headers['content-encoding'];
      const body = decoded(
        request.body as Readable,
        typeof encoding === 'string' ? encoding : undefined,
      );
      let summary;
      try {
        summary = await importNdjson(body, { format: format });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && code.startsWith('Z_')) {
          throw new HttpError(
            400,
            `the body is not valid ${String(encoding)} data: ${(error as Error).message}`,
          );
        }
        throw error;
      }
      request.log.info(
        {
          lines: summary.lines,
          accepted: summary.accepted,
          duplicates: summary.duplicates,
          rejected: summary.rejected,
        },
        'import finished',
      );
      return summary;
    },
  );
};
