import { STATUS_CODES } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { HttpError } from './http-error.js';
import { redactMessage } from './redact-url.js';

function statusOf(error: FastifyError): number {
  if (hasZodFastifySchemaValidationErrors(error)) return 400;
  const status = error.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

function messageOf(error: FastifyError, request: FastifyRequest): string {
  const { validation, validationContext } = error;
  if (validation && hasZodFastifySchemaValidationErrors(error)) {
    const where = validationContext ?? 'request';
    return validation
      .map((issue) => {
        const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
        return `${where}${path ? `.${path}` : ''}: ${issue.message ?? 'is not valid'}`;
      })
      .join('; ');
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const type = request.headers['content-type'] ?? '';
    return `content type "${type}" is not accepted: send the body as JSON with "content-type: application/json" (or text/plain holding JSON, as navigator.sendBeacon sends)`;
  }
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return 'the body is empty but content-type says JSON: send a JSON body, or leave out the content-type header';
  }
  return error.message;
}

/**
 * One error shape for every route: `{ statusCode, error, message, requestId }`. Client errors
 * keep their precise message; server errors are logged with the request id and hidden, but
 * for an HttpError, a 5xx answered on purpose (a warning with its message).
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const statusCode = statusOf(error);
    if (error instanceof HttpError) void reply.headers(error.headers);
    const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    let message = messageOf(error, request);
    if (statusCode >= 500 && error instanceof HttpError) {
      // Answered so on purpose (a heavy query refused while the queue is full, a preview past
      // its time): the service works as meant, so a warning with the message, not a stack.
      request.log.warn({ statusCode, message: redactMessage(message) }, 'request not served');
    } else if (statusCode >= 500) {
      request.log.error({ err: error }, 'request failed');
      if (statusCode === 500) message = 'internal error; quote the request id when reporting it';
    } else {
      request.log.info({ statusCode, message: redactMessage(message) }, 'request refused');
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

const CLIENT_ERRORS: Record<string, { status: number; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, message: 'the request took too long to arrive' },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    message: 'the request headers are too large (at most 16 KiB together)',
  },
  HPE_INVALID_URL: {
    status: 400,
    message:
      'the URL holds a character URLs cannot carry as is (a space, a non-ASCII letter such as "…" or "é"): percent-encode it, e.g. ?email=ada%40example.com, or let curl do it with -G --data-urlencode "email=…"',
  },
};

/**
 * Answers a request Node could not parse as HTTP (the router never sees it) in the one error
 * shape, saying what was wrong and with a request id to quote, instead of "Client Error".
 */
export function clientErrorHandler(
  this: FastifyInstance,
  error: Error & { code?: string },
  socket: Socket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const known = CLIENT_ERRORS[error.code ?? ''];
  const statusCode = known?.status ?? 400;
  const requestId = randomUUID();
  const message =
    known?.message ??
    `the request is not valid HTTP (${error.code ?? 'parse error'}): ${error.message}`;
  this.log.info({ reqId: requestId, statusCode, code: error.code, message }, 'request refused');
  const body = JSON.stringify({
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    message,
    requestId,
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Error'}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nx-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
