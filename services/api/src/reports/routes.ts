import {
  clustersReportQuerySchema,
  clustersReportSchema,
  clvReportQuerySchema,
  clvReportSchema,
  errorResponseSchema,
  rfmReportQuerySchema,
  rfmReportSchema,
} from '@rapport/schemas';
import type { Store } from '@rapport/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { LatestRuns } from '@rapport/runs';
import { readClustersReport } from './clusters-report.js';
import { readClvReport } from './clv-report.js';
import { readRfmReport } from './rfm-report.js';
import { heavyReports } from './heavy-reports.js';
import { marketingRoutes, type MarketingRoutesOptions } from './marketing-routes.js';

export interface ReportRoutesOptions extends MarketingRoutesOptions {
  store: Store;
  latest: LatestRuns;
  currency: string;
}

export const reportRoutes: FastifyPluginAsyncZod<ReportRoutesOptions> = async (app, options) => {
  await app.register(marketingRoutes, options);
  const report = heavyReports(options.store, options.heavyQueries);
  app.get(
    '/v1/reports/rfm',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['reports'],
        summary: 'RFM: the recency × frequency grid and the named segments of a run',
        querystring: rfmReportQuerySchema,
        response: {
          200: rfmReportSchema,
          404: errorResponseSchema,
          409: errorResponseSchema,
          503: errorResponseSchema,
        },
      },
    },
    async (request) =>
      report((store) =>
        readRfmReport(store, options.latest, {
          currency: options.currency,
          ...(request.query.runId === undefined ? {} : { runId: request.query.runId }),
        }),
      ),
  );
  app.get(
    '/v1/reports/clv',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['reports'],
        summary:
          'CLV: distribution, top customers, expected revenue and fit diagnostics of a clv run',
        querystring: clvReportQuerySchema,
        response: {
          200: clvReportSchema,
          404: errorResponseSchema,
          409: errorResponseSchema,
          503: errorResponseSchema,
        },
      },
    },
    async (request) =>
      report((store) =>
        readClvReport(store, options.latest, {
          currency: options.currency,
          top: request.query.top,
          ...(request.query.runId === undefined ? {} : { runId: request.query.runId }),
        }),
      ),
  );
  app.get(
    '/v1/reports/clusters',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['reports'],
        summary:
          'Clusters: how k was chosen, the features, each cluster with its size and what sets it apart, and warnings when fewer clusters came out than asked',
        querystring: clustersReportQuerySchema,
        response: {
          200: clustersReportSchema,
          404: errorResponseSchema,
          409: errorResponseSchema,
          503: errorResponseSchema,
        },
      },
    },
    async (request) =>
      report((store) =>
        readClustersReport(
          store,
          options.latest,
          request.query.runId === undefined ? {} : { runId: request.query.runId },
        ),
      ),
  );
};
