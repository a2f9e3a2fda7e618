import {
  campaignsReportQuerySchema,
  campaignsReportSchema,
  channelsReportQuerySchema,
  channelsReportSchema,
  cohortsReportQuerySchema,
  cohortsReportSchema,
  errorResponseSchema,
  lifecycleReportQuerySchema,
  lifecycleReportSchema,
  overviewReportQuerySchema,
  overviewReportSchema,
} from '@rapport/schemas';
import {
  readCampaignsReport,
  readChannelsReport,
  readCohortsReport,
  readLifecycleReport,
  readOverviewReport,
} from '@rapport/reports';
import type { QueryGate } from '@rapport/http';
import type { Store } from '@rapport/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { heavyReports } from './heavy-reports.js';

export interface MarketingRoutesOptions {
  store: Store;
  currency: string;
  /** The lifecycle stages reports show are the ones profiles show. */
  profiles: { lifecycle: { lapsedAfterDays: number } };
  /** Reports take a turn among the heavy queries (see QueryGate). */
  heavyQueries?: QueryGate | undefined;
}

const PERIOD =
  'The period is `from` (included) to `to` (excluded), days at midnight UTC or instants; ' +
  'by default the 30 days up to the day after the latest event.';

/** The marketing reports: overview, lifecycle, channels, email campaigns and cohorts. */
export const marketingRoutes: FastifyPluginAsyncZod<MarketingRoutesOptions> = async (
  app,
  options,
) => {
  const { currency } = options;
  const report = heavyReports(options.store, options.heavyQueries);
  const errors = { 400: errorResponseSchema, 503: errorResponseSchema };
  app.get(
    '/v1/reports/overview',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['reports'],
        summary:
          'Overview: events, active profiles, orders and revenue, new and returning customers',
        description: PERIOD,
        querystring: overviewReportQuerySchema,
        response: { 200: overviewReportSchema, ...errors },
      },
    },
    async (request) => report((store) => readOverviewReport(store, { ...request.query, currency })),
  );
  app.get(
    '/v1/reports/lifecycle',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['reports'],
        summary:
          'Lifecycle: profiles per stage at the start and end of the period, flows, prospects',
        description: PERIOD,
        querystring: lifecycleReportQuerySchema,
        response: { 200: lifecycleReportSchema, ...errors },
      },
    },
    async (request) =>
      report((store) =>
        readLifecycleReport(store, {
          ...request.query,
          lapsedAfterDays: options.profiles.lifecycle.lapsedAfterDays,
        }),
      ),
  );
  app.get(
    '/v1/reports/channels',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['reports'],
        summary:
          'Channels: visits, profiles, customers, orders and conversion per channel and campaign tag',
        description: PERIOD,
        querystring: channelsReportQuerySchema,
        response: { 200: channelsReportSchema, ...errors },
      },
    },
    async (request) => report((store) => readChannelsReport(store, { ...request.query, currency })),
  );
  app.get(
    '/v1/reports/campaigns',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['reports'],
        summary: 'Email campaigns: the funnel from sent to ordered, with attributed revenue',
        description: `${PERIOD} A campaign is in the period when its first email was sent in it.`,
        querystring: campaignsReportQuerySchema,
        response: { 200: campaignsReportSchema, ...errors },
      },
    },
    async (request) =>
      report((store) => readCampaignsReport(store, { ...request.query, currency })),
  );
  app.get(
    '/v1/reports/cohorts',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['reports'],
        summary: 'Cohorts by first order: size, share ordering again each later period, revenue',
        description:
          'Customers whose first order falls in the period, by its month or week; by default ' +
          'the 12 months up to the day after the latest event.',
        querystring: cohortsReportQuerySchema,
        response: { 200: cohortsReportSchema, ...errors },
      },
    },
    async (request) => report((store) => readCohortsReport(store, { ...request.query, currency })),
  );
};
