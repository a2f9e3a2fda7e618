import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * One log line a request, written once its answer has gone: the method, the URL as logs may
 * show it, the status and the time taken, under the request's id. Fastify's own controller
 * writes a second line as each request arrives; every line is a synchronous write to stdout,
 * and on a cached profile or `/healthz` the two lines were a large share of the request's
 * time. Error, stream and not-found lines stay as Fastify writes them.
 */
export class OneLineRequestLog extends LogController {
  override incomingRequest(): void {
    // Nothing: the line written on completion carries the request too.
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return;
    const line = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
