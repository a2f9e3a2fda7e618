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
  interface FastifyRequest {
    /** The name of the API key the request came with (`key-` and its digest's start). */
    apiKeyName?: string;
  }
}

const digest = (key: string) => createHash('sha256').update(key).digest();

/** How logs, the audit log and rate limits name a key: never the key itself. */
export const keyNameOf = (key: string) => `key-${digest(key).toString('hex').slice(0, 10)}`;

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    // Segment's SDKs send their write key as the basic-auth user name, with no password.
    if (basic) return Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')[0] || undefined;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1];
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined;
}

export function scopeOf(request: FastifyRequest): RouteScope {
  const declared = request.routeOptions.config?.scope;
  if (declared) return declared;
  // Routes added by the OpenAPI UI plugin cannot carry config. The UI, its assets and the
  // document describe the API and hold no data; a browser cannot send a key for them, and the
  // UI's "Authorize" button takes the key its requests need.
  return request.routeOptions.url?.startsWith('/docs') ? 'public' : 'admin';
}

/**
 * Checks API keys when any are configured: 401 without a valid key, 403 when the key lacks
 * the route's scope. An `admin` key may do everything.
 */
export function installAuth(app: FastifyInstance, keys: readonly ApiKey[]): void {
  if (keys.length === 0) return;
  const known = keys.map((key) => ({
    digest: digest(key.key),
    scopes: key.scopes,
    name: keyNameOf(key.key),
  }));
  app.addHook('onRequest', async (request) => {
    const scope = scopeOf(request);
    if (scope === 'public') return;
    const presented = presentedKey(request);
    const challenge = { 'www-authenticate': 'Bearer realm="rapport"' };
    if (presented === undefined) {
      throw new HttpError(
        401,
        `an API key with the "${scope}" scope is required: send it as "Authorization: Bearer <key>" or "x-api-key: <key>"`,
        challenge,
      );
    }
    const candidate = digest(presented);
    const key = known.find((entry) => timingSafeEqual(entry.digest, candidate));
    if (!key) {
      throw new HttpError(
        401,
        'the API key is not valid: send one of the keys in RAPPORT_API_KEYS, as "Authorization: Bearer <key>" or "x-api-key: <key>"',
        challenge,
      );
    }
    request.apiKeyName = key.name;
    if (!key.scopes.includes(scope) && !key.scopes.includes('admin')) {
      throw new HttpError(
        403,
        `this API key lacks the "${scope}" scope this route needs: use a key with "${scope}" or "admin"`,
      );
    }
  });
}
