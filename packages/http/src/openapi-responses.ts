import type { FastifyInstance, RouteOptions } from 'fastify';
import { z } from 'zod';

/**
 * The error answers every route can give, added to each route's documented responses so the
 * OpenAPI document lists every status a route answers, not only the ones its handler chooses.
 * The shape is the one error handler's (`{ statusCode, error, message, requestId }`); extra
 * members (an `issues` list) pass through.
 */
const errorAnswer = (description: string) => {
  const schema = z
    .looseObject({
      statusCode: z.number().int(),
      error: z.string(),
      message: z.string().describe('what is wrong and what to change'),
      requestId: z.string().optional().describe('quote it when asking about the request'),
    })
    .describe(description);
  documentationOnly.add(schema);
  return schema;
};

/**
 * Schemas added for the document alone: answers under them are sent as they are, not checked
 * against them (a route's own error answer must never become a 500 for not matching).
 */
const documentationOnly = new WeakSet<object>();

export function isDocumentationOnly(schema: unknown): boolean {
  return typeof schema === 'object' && schema !== null && documentationOnly.has(schema);
}

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

function methodsOf(route: RouteOptions): string[] {
  return Array.isArray(route.method) ? route.method : [route.method];
}

/** Error statuses the foundation answers for a route, by what the route takes. */
function commonErrors(route: RouteOptions): Record<number, z.ZodType> {
  const errors: Record<number, z.ZodType> = {};
  const schema = route.schema ?? {};
  const takesBody = methodsOf(route).some((method) => WITH_BODY.has(method));
  if (takesBody || schema.querystring !== undefined || schema.params !== undefined) {
    errors[400] = errorAnswer('the request does not validate; the message names each problem');
  }
  if (route.config?.scope !== 'public') {
    const scope = route.config?.scope ?? 'admin';
    errors[401] = errorAnswer(
      'API keys are configured and none was sent, or it is not valid (send `Authorization: Bearer <key>` or `x-api-key: <key>`)',
    );
    errors[403] = errorAnswer(`the key lacks the \`${scope}\` scope this route needs`);
    errors[429] = errorAnswer(
      'too many requests (when rate limits are configured); retry after the `Retry-After` seconds',
    );
  }
  if (route.config?.scope === 'ingest' && takesBody) {
    errors[503] = errorAnswer(
      'the store (or Kafka) cannot take events right now; send them again after the `Retry-After` seconds',
    );
  }
  if (takesBody) {
    errors[413] = errorAnswer('the body is over the limit (RAPPORT_MAX_BODY_BYTES)');
    errors[415] = errorAnswer(
      'a content type this route does not take; the message lists those it does',
    );
  }
  return errors;
}

/** Adds the common error answers to every documented route registered from now on. */
export function documentCommonErrors(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (route.schema === undefined || route.schema.hide === true) return;
    if (route.url.startsWith('/docs')) return;
    const response = (route.schema.response ?? {}) as Record<string | number, unknown>;
    for (const [status, schema] of Object.entries(commonErrors(route))) {
      if (response[status] === undefined) response[status] = schema;
    }
    route.schema.response = response;
  });
}
