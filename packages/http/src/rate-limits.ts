import rateLimit from '@fastify/rate-limit';
import type { LimitsConfig } from '@rapport/config';
import type { FastifyInstance } from 'fastify';
import { scopeOf } from './auth.js';
import { HttpError } from './http-error.js';

/**
 * Per-key rate limits, one budget per route scope (read, ingest, admin), counted per API key,
 * or per client IP when no keys are configured. Public routes (health, metrics) are never
 * limited. Past the budget: 429 with Retry-After (seconds until the window ends). Runs after
 * the key check, so a limit is charged to the key that was shown.
 */
export async function installRateLimits(
  app: FastifyInstance,
  rate: LimitsConfig['rate'],
): Promise<void> {
  const budget = (scope: string): number =>
    scope === 'read' || scope === 'ingest' || scope === 'admin' ? rate[scope] : 0;
  await app.register(rateLimit, {
    global: true,
    timeWindow: rate.windowMs,
    max: (request) => budget(scopeOf(request)),
    allowList: (request) => budget(scopeOf(request)) === 0,
    keyGenerator: (request) => `${scopeOf(request)}|${request.apiKeyName ?? request.ip}`,
    errorResponseBuilder: (request, context) =>
      new HttpError(
        429,
        `too many requests: this ${request.apiKeyName === undefined ? 'client' : 'API key'} may make ${context.max} "${scopeOf(request)}" requests per ${rate.windowMs} ms; retry in ${context.after}`,
      ),
  });
}
