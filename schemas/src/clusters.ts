import { z } from 'zod';

export const clustersReportQuerySchema = z.object({
  runId: z
    .string()
    .max(64)
    .optional()
    .describe('a run of the clusters job; the latest successful one by default'),
});

export const clusterTraitSchema = z.object({
  feature: z.string(),
  direction: z.enum(['high', 'low']),
  z: z.number().describe("the members' mean in standard deviations from the sample mean"),
  mean: z.number().describe("the members' mean, in the feature's natural units"),
  populationMean: z.number().describe('the mean over every profile, same units'),
});
export type ClusterTrait = z.infer<typeof clusterTraitSchema>;

export const clustersReportSchema = z.object({
  runId: z.string(),
  computedAt: z.string().nullable(),
  profiles: z.number().int().describe('profiles assigned to a cluster (all of them)'),
  k: z.number().int(),
  kChosenBy: z
    .enum(['param', 'config', 'silhouette'])
    .describe('the run parameter k, RAPPORT_CLUSTERS_K, or the best mean silhouette width'),
  silhouette: z
    .number()
    .nullable()
    .describe('mean silhouette width of the chosen k on the silhouette sample (−1…1)'),
  inertia: z.number().describe('sum of squared standardized distances to the centroids, sample'),
  minClusterShare: z
    .number()
    .nullable()
    .describe('the smallest share of the profiles a cluster may have (null for older runs)'),
  tried: z
    .array(
      z.object({
        k: z.number().int(),
        silhouette: z.number().nullable(),
        inertia: z.number(),
        shortfall: z
          .object({
            clusters: z.number().int().describe('clusters with at least one profile'),
            smallestShare: z
              .number()
              .describe("the smallest cluster's share of the profiles fitted (0: one was empty)"),
          })
          .optional()
          .describe('present when this k was turned down: a cluster below the minimum share'),
      }),
    )
    .describe('every k fitted, with its silhouette and inertia, and why a k was turned down'),
  warnings: z
    .array(z.string())
    .describe(
      'why fewer clusters came out than asked, or a cluster is below the minimum share; empty when neither',
    ),
  sample: z.record(z.string(), z.unknown()).describe('profiles fitted on, silhouette sample, seed'),
  features: z.array(
    z.object({
      name: z.string(),
      transform: z.enum(['log1p', 'none']).describe('applied before standardizing'),
      mean: z.number().describe('standardization mean (transformed units, fitted sample)'),
      sd: z.number().describe('standardization standard deviation (same units)'),
      populationMean: z.number().describe('mean over every profile, natural units'),
    }),
  ),
  clusters: z.array(
    z.object({
      id: z.number().int().describe('stable across runs: matched to the previous run'),
      label: z.string().describe('what sets the cluster apart, in a few words'),
      size: z.number().int(),
      share: z.number().describe('of all profiles'),
      centroid: z
        .record(z.string(), z.number())
        .describe("the members' mean of each feature, natural units"),
      description: z.array(clusterTraitSchema).describe('the features that set it apart'),
    }),
  ),
});
export type ClustersReport = z.infer<typeof clustersReportSchema>;
