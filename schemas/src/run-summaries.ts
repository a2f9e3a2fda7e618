import { z } from 'zod';

/**
 * What each job's run records in `summary`, so that readers (reports, the console, the CLI)
 * read typed values instead of casting JSON. Objects stay open (`looseObject`): a newer job
 * may record more than an older reader knows of.
 */

export const rfmSummarySchema = z.looseObject({
  asOf: z.string(),
  customers: z.number().int(),
  segments: z.record(z.string(), z.number().int()).describe('customers per RFM segment'),
});
export type RfmSummary = z.infer<typeof rfmSummarySchema>;

export const clvSummarySchema = z.looseObject({
  asOf: z.string().optional(),
  totals: z
    .object({
      expectedOrders: z.number(),
      expectedValue: z.number(),
      clv: z.number(),
      meanPAlive: z.number(),
    })
    .optional(),
});
export type ClvSummary = z.infer<typeof clvSummarySchema>;

/** How a run's features snapshot was taken. */
export const snapshotSummarySchema = z
  .looseObject({
    computed: z.number().int().describe('profiles whose fields were computed'),
    copiedFrom: z
      .string()
      .nullable()
      .describe('the run whose snapshot the other profiles were copied from; null when none'),
  })
  .describe('profiles unchanged since the latest segments run are copied from its snapshot');

/** Why a fit of k clusters was turned down: a cluster below the minimum share, or left empty. */
export const clusterShortfallSchema = z.looseObject({
  k: z.number().int(),
  clusters: z.number().int().describe('clusters with at least one profile'),
  smallestShare: z
    .number()
    .describe("the smallest cluster's share of the profiles fitted (0 when one was left empty)"),
  inertia: z.number(),
});

export const clustersSummarySchema = z.looseObject({
  profiles: z.number().int().optional(),
  features: z.array(z.string()).optional(),
  snapshot: snapshotSummarySchema.optional(),
  sample: z.record(z.string(), z.unknown()),
  k: z.number().int(),
  kChosenBy: z.enum(['param', 'config', 'silhouette']),
  silhouette: z.number().nullable(),
  minClusterShare: z.number().optional(),
  tried: z.array(
    z.object({
      k: z.number().int(),
      silhouette: z.number().nullable(),
      inertia: z.number(),
      shortfall: clusterShortfallSchema.optional(),
    }),
  ),
  inertia: z.number(),
  warnings: z
    .array(z.string())
    .optional()
    .describe('why fewer clusters came out than asked, or a cluster is below the minimum share'),
});
export type ClustersSummary = z.infer<typeof clustersSummarySchema>;

export const segmentsSummarySchema = z.looseObject({
  computedAt: z.string(),
  profiles: z.number().int(),
  snapshot: snapshotSummarySchema.optional(),
  segments: z.record(z.string(), z.unknown()).describe('what each segment evaluation found'),
  skipped: z
    .array(z.object({ id: z.string(), reason: z.string() }))
    .describe('segments not evaluated by the run (in a cycle, unusable, or failed), with why'),
  partial: z
    .boolean()
    .optional()
    .describe('true when a segment was skipped: it keeps the members of its latest evaluation'),
});
export type SegmentsSummary = z.infer<typeof segmentsSummarySchema>;
