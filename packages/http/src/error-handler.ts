import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { HttpError } from './http-error.js';

function statusOf(error: FastifyError): number {
  if (hasZodFastifySchemaValidationErrors(error)) return 400;
  const status = error.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

function messageOf(error: FastifyError): string {
  const { validation, validationContext } = error;
  if (validation && hasZodFastifySchemaValidationErrors(error)) {
    const where = validationContext ?? 'request';
    return validation
      .map((issue) => {
        const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
        return `${where}${path ? `.${path}` : ''}: ${issue.message}`;
      })
      .join('; ');
  }
  return error.message;
}

/**
 * One error shape for every route: `{ statusCode, error, message, requestId }`. Client errors
 * keep their precise message; server errors are logged with the request id and hidden.
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const statusCode = statusOf(error);
    if (error instanceof HttpError) void reply.headers(error.headers);
    const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    let message = messageOf(error);
    if (statusCode >= 500) {
      request.log.error({ err: error }, 'request failed');
      if (statusCode === 500) message = 'internal error; quote the request id when reporting it';
    } else {
      request.log.info({ statusCode, message }, 'request refused');
    }
    return reply.status(statusCode).send({
      statusCode,
      error: STATUS_CODES[statusCode] ?? 'Error',
      message,
      requestId: request.id,
      ...(error instanceof HttpError && error.issues ? { issues: error.issues } : {}),
    });
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) =>
    reply.status(404).send({
      statusCode: 404,
      error: 'Not Found',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
      requestId: request.id,
    }),
  );
}
