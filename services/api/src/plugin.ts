import type { EventBus } from '@rapport/bus';
import type { ProfileService } from '@rapport/profiles';
import { errorResponseSchema, timelineQuerySchema, timelineResponseSchema } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { QueryGate } from '@rapport/http';
import type { AuditLog, ErasureService } from '@rapport/privacy';
import { privacyRoutes } from './privacy/routes.js';
import { profileRoutes } from './profiles/routes.js';
import type { LatestRuns } from '@rapport/runs';
import { reportRoutes } from './reports/routes.js';
import { segmentRoutes } from './segments/routes.js';
import { readTimeline } from './timeline.js';

export interface ApiPluginOptions {
  store: Store;
  bus: EventBus;
  profiles: ProfileService;
  latest: LatestRuns;
  /** The reporting currency. */
  currency: string;
  /** Erasure, export and audit routes, when given. */
  privacy?: { erasures: ErasureService; audit: AuditLog };
  /** Admits previews and exports a few at a time (RAPPORT_HEAVY_QUERY_*). */
  heavyQueries?: QueryGate;
  /** Told after a segment definition was saved or deleted. */
  onDefinitionsChanged?: () => void;
}

const customerParams = z.object({ id: z.string().min(1).max(256) });

/** The query API: what the store knows about customers. */
export const apiPlugin: FastifyPluginAsyncZod<ApiPluginOptions> = async (app, options) => {
  const { store } = options;
  await app.register(profileRoutes, options);
  await app.register(reportRoutes, options);
  if (options.privacy) {
    await app.register(privacyRoutes, {
      store,
      profiles: options.profiles,
      ...options.privacy,
      heavyQueries: options.heavyQueries,
    });
  }
  await app.register(segmentRoutes, {
    store,
    latest: options.latest,
    // The lifecycle stage a rule tests is the one profiles show.
    lapsedAfterDays: options.profiles.lifecycle.lapsedAfterDays,
    onDefinitionsChanged: () => {
      options.profiles.segmentsChanged();
      options.onDefinitionsChanged?.();
    },
    heavyQueries: options.heavyQueries,
  });

  app.get(
    '/v1/customers/:id/events',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['customers'],
        summary: "A customer's events, newest first",
        description:
          'Includes events sent under anonymous ids that an identify event linked to the ' +
          'customer. Page with `before` = the `next` of the previous answer.',
        params: customerParams,
        querystring: timelineQuerySchema,
        response: { 200: timelineResponseSchema, 400: errorResponseSchema },
      },
    },
    async (request) =>
      readTimeline(store, {
        customerId: request.params.id,
        limit: request.query.limit,
        ...(request.query.before === undefined ? {} : { before: request.query.before }),
      }),
  );
};
