// Route options declared by the http package (`scope`) and by @fastify/swagger (`hide`).
import type {} from '@fastify/swagger';
import type {} from '@rapport/http';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { buildConsole, type ConsoleAsset } from './build-console.js';

/**
 * Serves the console at `/` and its files under `/console/`. The pages carry no data and need
 * no key; every figure they show comes from the API with the key the user enters.
 */
export const consolePlugin: FastifyPluginAsync = async (app) => {
  const assets = await buildConsole();
  const send = (file: ConsoleAsset, request: FastifyRequest, reply: FastifyReply) => {
    const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    void reply
      .header('content-type', file.contentType)
      .header('cache-control', 'no-cache')
      .header('vary', 'accept-encoding');
    if (gzip) void reply.header('content-encoding', 'gzip');
    return reply.send(gzip ? file.gzipped : file.body);
  };
  const schema = { hide: true };
  app.get('/', { config: { scope: 'public' }, schema }, (request, reply) =>
    send(assets.get('/')!, request, reply),
  );
  app.get<{ Params: { file: string } }>(
    '/console/:file',
    { config: { scope: 'public' }, schema },
    (request, reply) => {
      const file = assets.get(`/console/${request.params.file}`);
      if (!file) return reply.status(404).send({ statusCode: 404, message: 'no such file' });
      return send(file, request, reply);
    },
  );
};
