import { Readable } from 'node:stream';
import { HttpError, type QueryGate } from '@rapport/http';
import type { AuditLog, ErasureService } from '@rapport/privacy';
import { exportCustomer } from '@rapport/privacy';
import type { ProfileService } from '@rapport/profiles';
import { errorResponseSchema } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  auditQuerySchema,
  auditResponseSchema,
  erasureQuerySchema,
  erasureSchema,
} from './schemas.js';

export interface PrivacyRoutesOptions {
  store: Store;
  profiles: ProfileService;
  erasures: ErasureService;
  audit: AuditLog;
  /** Exports take a turn among the heavy queries. */
  heavyQueries?: QueryGate | undefined;
}

const id = z.string().min(1).max(256);

/** Erasure, export and the audit log: admin routes. */
export const privacyRoutes: FastifyPluginAsyncZod<PrivacyRoutesOptions> = async (app, options) => {
  const { erasures } = options;

  app.delete(
    '/v1/customers/:id',
    {
      config: { scope: 'admin', audit: 'customer.erase' },
      schema: {
        tags: ['privacy'],
        summary: 'Erase a customer and everything derived from them',
        description:
          'Removes the customer, the anonymous ids they own, and every row of theirs in every ' +
          'table (events, identity links, projections, job results, segment membership, the ' +
          'event journal); their keys go on a suppression list (hashed) so later events for ' +
          'them are dropped and a replay cannot bring them back. Answers 202 with the erasure ' +
          'to follow at GET /v1/erasures/:id, or 200 when it finished within `wait` seconds.',
        params: z.object({ id }),
        querystring: erasureQuerySchema,
        response: { 200: erasureSchema, 202: erasureSchema, 400: errorResponseSchema },
      },
    },
    async (request, reply) => {
      let erasure = await erasures.request(request.params.id);
      if (request.query.wait > 0) {
        await erasures.waitFor(erasure.erasureId, request.query.wait * 1000);
        erasure = (await erasures.get(erasure.erasureId)) ?? erasure;
      }
      void reply.header('location', `/v1/erasures/${erasure.erasureId}`);
      return reply.status(erasure.status === 'done' ? 200 : 202).send(erasure);
    },
  );

  app.get(
    '/v1/erasures/:erasureId',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['privacy'],
        summary: "An erasure's state and, once done, its receipt",
        params: z.object({ erasureId: id }),
        response: { 200: erasureSchema, 404: errorResponseSchema },
      },
    },
    async (request) => {
      const erasure = await erasures.get(request.params.erasureId);
      if (!erasure) throw new HttpError(404, `no erasure "${request.params.erasureId}"`);
      return erasure;
    },
  );

  app.get(
    '/v1/customers/:id/export',
    {
      config: { scope: 'admin', audit: 'customer.export' },
      schema: {
        tags: ['privacy'],
        summary: 'Everything held about one customer, as NDJSON',
        description:
          'One JSON object per line, `{ "table": …, "row": … }`: the profile first, then every ' +
          'event (oldest first, no page limit), then the rows of every other table that holds ' +
          'the customer (identity links, scores of every run, segment membership, features). ' +
          'Streamed: the answer starts before the whole history is read.',
        params: z.object({ id }),
      },
    },
    async (request, reply) => {
      const customerId = request.params.id;
      const profile = await options.profiles.customer(customerId);
      if (!profile) throw new HttpError(404, `no customer "${customerId}"`);
      const lines = async function* () {
        for await (const line of exportCustomer(options.store, { customerId, profile })) {
          yield `${JSON.stringify(line)}\n`;
        }
      };
      const release = (await options.heavyQueries?.acquire()) ?? (() => undefined);
      const stream = Readable.from(lines()).once('close', release);
      void reply.header('content-type', 'application/x-ndjson; charset=utf-8');
      return reply.send(stream);
    },
  );

  app.get(
    '/v1/audit',
    {
      config: { scope: 'admin', audit: 'audit.read' },
      schema: {
        tags: ['privacy'],
        summary: 'Admin actions, newest first: who, what, on what, when',
        querystring: auditQuerySchema,
        response: { 200: auditResponseSchema, 400: errorResponseSchema },
      },
    },
    async (request) => {
      const { limit, before, action } = request.query;
      const entries = await options.audit.list({
        limit,
        ...(before === undefined ? {} : { before: Date.parse(before) }),
        ...(action === undefined ? {} : { action }),
      });
      return { entries };
    },
  );
};
