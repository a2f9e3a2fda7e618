import { toBusMessage, type EventBus } from '@rapport/bus';
import { HttpError } from '@rapport/http';
import {
  asOfMs,
  customerLookupQuerySchema,
  customerLookupResponseSchema,
  errorResponseSchema,
  profileQuerySchema,
  profileSchema,
} from '@rapport/schemas';
import { ownerOf, unlinkEvent, type ProfileService } from '@rapport/profiles';
import type { Store } from '@rapport/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

export interface ProfileRoutesOptions {
  store: Store;
  bus: EventBus;
  profiles: ProfileService;
}

const id = z.string().min(1).max(256);
const asOfOf = (asOf: string | undefined) => (asOf === undefined ? undefined : asOfMs(asOf));

/** 404 for a customer, saying what the id was looked up as. */
const noCustomer = (id: string, asOf: string | undefined) =>
  new HttpError(
    404,
    asOf === undefined
      ? `no customer "${id}": no event names this customerId (ids are case-sensitive)`
      : `no customer "${id}" as of ${asOf}: no event names this customerId by then (by event time)`,
  );

export const profileRoutes: FastifyPluginAsyncZod<ProfileRoutesOptions> = async (app, options) => {
  const { profiles } = options;

  app.get(
    '/v1/customers/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['customers'],
        summary: "A customer's profile: traits, stats, lifecycle, linked ids, scores",
        params: z.object({ id }),
        querystring: profileQuerySchema,
        response: { 200: profileSchema, 404: errorResponseSchema },
      },
    },
    // Not async: a cached profile is answered in the turn that asked for it, with no promise.
    (request) => {
      const { id } = request.params;
      const { asOf } = request.query;
      const found =
        asOf === undefined ? profiles.currentCustomer(id) : profiles.customer(id, asOfMs(asOf));
      if (!(found instanceof Promise)) return found;
      return found.then((profile) => {
        if (!profile) throw noCustomer(id, asOf);
        return profile;
      });
    },
  );

  app.get(
    '/v1/customers',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['customers'],
        summary: 'Find customers by their current email or phone trait (case-insensitive)',
        querystring: customerLookupQuerySchema,
        response: { 200: customerLookupResponseSchema, 400: errorResponseSchema },
      },
    },
    async (request) => {
      const { email, phone } = request.query;
      const customers =
        email !== undefined
          ? await profiles.findByTrait('email', email)
          : await profiles.findByTrait('phone', phone ?? '');
      return { customers };
    },
  );

  app.get(
    '/v1/visitors/:anonymousId',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['customers'],
        summary: 'The profile of a device: its customer, or a visitor profile of its own',
        params: z.object({ anonymousId: id }),
        querystring: profileQuerySchema,
        response: { 200: profileSchema, 404: errorResponseSchema },
      },
    },
    async (request) => {
      const { anonymousId } = request.params;
      const profile = await profiles.visitor(anonymousId, asOfOf(request.query.asOf));
      if (!profile) throw new HttpError(404, `no visitor "${anonymousId}"`);
      return profile;
    },
  );

  app.delete(
    '/v1/customers/:id/links/:anonymousId',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['customers'],
        summary: 'Undo a wrong identity link',
        description:
          'Records an identity_unlink event: from now on, events under the anonymous id no ' +
          'longer count toward the customer. The link history stays in the event log.',
        params: z.object({ id, anonymousId: id }),
        response: {
          200: z.object({
            customerId: z.string(),
            anonymousId: z.string(),
            eventId: z.string(),
          }),
          404: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const { id: customerId, anonymousId } = request.params;
      if ((await ownerOf(options.store, anonymousId)) !== customerId) {
        throw new HttpError(404, `anonymous id "${anonymousId}" is not linked to "${customerId}"`);
      }
      const event = unlinkEvent({ customerId, anonymousId, at: Date.now() });
      await options.bus.publish([toBusMessage(event)]);
      return { customerId, anonymousId, eventId: event.event_id };
    },
  );
};
