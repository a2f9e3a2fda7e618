import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Parameters of a clusters run; each documented with its default (README, "Clusters"). */
export const clustersParams = z
  .object({
    /** Number of clusters; without it, the job's default k, else the best silhouette. */
    k: int(2, 20).optional(),
    /** The range of k tried when k is chosen by silhouette. */
    kMin: int(2, 20).default(2),
    kMax: int(2, 20).default(8),
    /** Profiles k-means is fitted on (a fixed hash sample); every profile is assigned. */
    sampleSize: int(100, 1_000_000).default(20_000),
    /** Profiles of the sample the silhouette is measured on (it costs n² distances). */
    silhouetteSample: int(100, 10_000).default(2_000),
    /** Seed of the sample hash and of the k-means++ starts. */
    seed: int(0, 2_147_483_647).default(1),
    /** k-means++ starts per k; the fit with the lowest inertia is kept. */
    restarts: int(1, 20).default(3),
    /**
     * The least share of the sample a cluster may hold: a k that makes a smaller one (or
     * leaves a centroid empty) is turned down for the next smaller k.
     */
    minClusterShare: z.coerce.number().min(0).max(0.5).default(0.01),
    /** Share of each feature's values clipped at each end (winsorized) before fitting. */
    winsorize: z.coerce.number().min(0).max(0.1).default(0.005),
  })
  .strict()
  .refine((p) => p.kMin <= p.kMax, { message: 'must be at least kMin', path: ['kMax'] });

export type ClustersParams = z.output<typeof clustersParams>;
