import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKey, Scope } from '@rapport/config';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';

/** Who may call a route: a scope, or `public` for health checks. */
export type RouteScope = Scope | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Scope a key needs for this route; routes that name none need `admin`. */
    scope?: RouteScope;
  }
}

const digest = (key: string) => createHash('sha256').update(key).digest();

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1];
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined;
}

function scopeOf(request: FastifyRequest): RouteScope {
  const declared = request.routeOptions.config?.scope;
  if (declared) return declared;
  // Routes added by the OpenAPI UI plugin cannot carry config: docs are for readers.
  return request.routeOptions.url?.startsWith('/docs') ? 'read' : 'admin';
}

/**
 * Checks API keys when any are configured: 401 without a valid key, 403 when the key lacks
 * the route's scope. An `admin` key may do everything.
 */
export function installAuth(app: FastifyInstance, keys: readonly ApiKey[]): void {
  if (keys.length === 0) return;
  const known = keys.map((key) => ({ digest: digest(key.key), scopes: key.scopes }));
  app.addHook('onRequest', async (request) => {
    const scope = scopeOf(request);
    if (scope === 'public') return;
    const presented = presentedKey(request);
    const challenge = { 'www-authenticate': 'Bearer realm="rapport"' };
    if (presented === undefined) {
      throw new HttpError(
        401,
        `an API key with the "${scope}" scope is required: send Authorization: Bearer <key>`,
        challenge,
      );
    }
    const candidate = digest(presented);
    const key = known.find((entry) => timingSafeEqual(entry.digest, candidate));
    if (!key) throw new HttpError(401, 'the API key is not valid', challenge);
    if (!key.scopes.includes(scope) && !key.scopes.includes('admin')) {
      throw new HttpError(403, `this API key lacks the "${scope}" scope this route needs`);
    }
  });
}
