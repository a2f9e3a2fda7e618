import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { scopeOf } from './auth.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Records the route's calls in the audit log under this action (reads included). */
    audit?: string;
  }
}

/** One admin action, as the audit log keeps it. */
export interface AuditEvent {
  at: number;
  requestId: string;
  keyName: string;
  action: string;
  target: string;
  status: number;
}

export type AuditRecorder = (event: AuditEvent) => Promise<void>;

/** Route parameters that name a person: the log keeps the hash of their profile key. */
const PERSON_PARAMETERS: Record<string, string> = { id: 'c:', anonymousId: 'a:' };

/**
 * What the action was about: the route's URL with its parameters filled in, a customer's or
 * device's id replaced by `#` and the SHA-256 of its profile key (the hash the suppression
 * list holds), so the log holds no personal data and an auditor who knows an id can find it.
 */
function targetOf(request: FastifyRequest): string {
  const url = request.routeOptions.url ?? request.url;
  const params = (request.params ?? {}) as Record<string, unknown>;
  const personal = /^\/v1\/(customers|visitors)\//.test(url);
  return url.replace(/:([A-Za-z0-9_]+)/g, (match, name: string) => {
    const value = params[name];
    if (typeof value !== 'string') return match;
    const prefix = PERSON_PARAMETERS[name];
    if (personal && prefix !== undefined) {
      return `#${createHash('sha256')
        .update(prefix + value)
        .digest('hex')}`;
    }
    return encodeURIComponent(value);
  });
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Records admin actions: every call of an `admin` route that changes something (segment
 * writes, unlinks, job runs, erasures), and the calls of routes that ask for it (`audit`:
 * exports, reading the audit log), whatever their answer — refused attempts included.
 */
export function installAudit(app: FastifyInstance, record: AuditRecorder): void {
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.url === undefined) return;
    const declared = request.routeOptions.config?.audit;
    if (declared === undefined && (scopeOf(request) !== 'admin' || READS.has(request.method))) {
      return;
    }
    const event: AuditEvent = {
      at: Date.now(),
      requestId: request.id,
      keyName: request.apiKeyName ?? 'unauthenticated',
      action: declared ?? `${request.method} ${request.routeOptions.url}`,
      target: targetOf(request),
      status: reply.statusCode,
    };
    await record(event).catch((error: unknown) => {
      request.log.error({ err: error, action: event.action }, 'could not write the audit log');
    });
  });
}
