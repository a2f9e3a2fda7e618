import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from '@rapport/config';
import type { Logger, Metrics } from '@rapport/observability';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { installAudit, type AuditRecorder } from './audit-hook.js';
import { installAuth } from './auth.js';
import { installErrorHandlers, clientErrorHandler } from './error-handler.js';
import { documentCommonErrors, isDocumentationOnly } from './openapi-responses.js';
import { registerOpsRoutes, type ReadinessCheck } from './ops-routes.js';
import { installRateLimits } from './rate-limits.js';
import { requestForLog } from './redact-url.js';
import { OneLineRequestLog } from './request-log.js';

export type App = FastifyInstance;

export interface AppOptions {
  /** Without `limits` (tests that build a bare app), no rate limit and Node's timeouts. */
  config: Pick<Config, 'apiKeys' | 'ingest'> & Partial<Pick<Config, 'limits'>>;
  logger: Logger;
  metrics: Metrics;
  readiness: readonly ReadinessCheck[];
  /** Title of the generated OpenAPI document. */
  title: string;
  /** Where admin actions are recorded (the audit log); none when absent. */
  audit?: AuditRecorder;
}

/**
 * The HTTP foundation every service shares: request ids, JSON logs, one error shape, API
 * keys and scopes, metrics, health routes and OpenAPI docs at /docs. Services add their
 * routes as plugins; listening is the caller's business.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const { limits } = options.config;
  const app = Fastify({
    // Request lines show the method and a URL without identifying values; no IP address.
    // pino's Logger is a FastifyBaseLogger, but Fastify's generics infer a narrower type from it.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: options.logger.child(
      {},
      { serializers: { req: requestForLog } },
    ) as FastifyBaseLogger,
    logController: new OneLineRequestLog(),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: options.config.ingest.maxBodyBytes,
    // Keep-alive connections must not hold a graceful shutdown open.
    forceCloseConnections: 'idle',
    clientErrorHandler,
    ...(limits === undefined
      ? {}
      : {
          // Headers and body must arrive within this time (else 408), and an idle keep-alive
          // connection is closed: a client that stalls cannot hold a connection for long.
          requestTimeout: limits.requestTimeoutMs,
          keepAliveTimeout: limits.keepAliveTimeoutMs,
          http: {
            headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
            // How often Node looks for requests past their time (its default, 30 s, would
            // let a stalled request hold its connection that much longer).
            connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
          },
        }),
  });
  // Past the cap, Node closes new connections at once.
  if (limits !== undefined) app.server.maxConnections = limits.maxConnections;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler((route) =>
    isDocumentationOnly(route.schema)
      ? (data: unknown) => JSON.stringify(data)
      : serializeFrozenOnce(serializerCompiler(route as Parameters<typeof serializerCompiler>[0])),
  );
  installErrorHandlers(app);
  documentCommonErrors(app);

  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    options.metrics.httpRequestSeconds.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(swagger, {
    openapi: {
      info: { title: options.title, version: '1' },
      components: {
        // Either one: the same keys (RAPPORT_API_KEYS) in either header.
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <key>' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  // The UI's "Authorize" button takes a key for "Try it out"; it is kept across reloads.
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { persistAuthorization: true },
  });

  installAuth(app, options.config.apiKeys);
  if (limits !== undefined) await installRateLimits(app, limits.rate);
  if (options.audit !== undefined) installAudit(app, options.audit);
  registerOpsRoutes(app, { metrics: options.metrics, readiness: options.readiness });
  return app.withTypeProvider<ZodTypeProvider>();
}

/**
 * A frozen answer (a cached profile, say) cannot change, so it is checked and serialized once:
 * a later answer of the same object reuses the text.
 */
function serializeFrozenOnce(serialize: (data: unknown) => string): (data: unknown) => string {
  const serialized = new WeakMap<object, string>();
  return (data) => {
    if (typeof data !== 'object' || data === null || !Object.isFrozen(data)) return serialize(data);
    let text = serialized.get(data);
    if (text === undefined) {
      text = serialize(data);
      serialized.set(data, text);
    }
    return text;
  };
}
