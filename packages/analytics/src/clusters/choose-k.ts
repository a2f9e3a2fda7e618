import {
  distinctPoints,
  drain,
  fitKMeansSteps,
  silhouetteOfFit,
  type KMeansFit,
} from './kmeans.js';
import { fitKMeansMinShareSteps, shortfallOf, type Shortfall } from './min-share.js';

export interface KTried {
  k: number;
  /** Mean silhouette width on the silhouette points; null where it is not defined. */
  silhouette: number | null;
  inertia: number;
  /** Set when the fit was turned down: a cluster below the minimum share or left empty. */
  shortfall?: Shortfall;
}

export interface ChosenK {
  fit: KMeansFit;
  silhouette: number | null;
  tried: KTried[];
  /** Distinct points among those fitted: no k above it was tried. */
  distinct: number;
}

export interface ChooseKOptions {
  points: readonly (readonly number[])[];
  silhouettePoints: readonly (readonly number[])[];
  kMin: number;
  kMax: number;
  seed: number;
  restarts?: number;
  /** The least share of the points a cluster may have (default 0: any non-empty cluster). */
  minShare?: number;
}

/** chooseK one step (a k-means start or a silhouette) at a time; see fitKMeansSteps. */
export function* chooseKSteps(input: ChooseKOptions): Generator<void, ChosenK, void> {
  const distinct = distinctPoints(input.points);
  const kMax = Math.min(input.kMax, distinct);
  const minShare = input.minShare ?? 0;
  const restarts = input.restarts === undefined ? {} : { restarts: input.restarts };
  const tried: KTried[] = [];
  let best: { fit: KMeansFit; silhouette: number | null; score: number } | undefined;
  for (let k = input.kMin; k <= kMax; k++) {
    const fit = yield* fitKMeansSteps({ points: input.points, k, seed: input.seed, ...restarts });
    const shortfall = shortfallOf(fit, k, input.points.length, minShare);
    const silhouette = silhouetteOfFit(input.silhouettePoints, fit.centroids);
    tried.push({ k, silhouette, inertia: fit.inertia, ...(shortfall ? { shortfall } : {}) });
    const score = silhouette ?? -Infinity;
    if (!shortfall && (!best || score > best.score)) best = { fit, silhouette, score };
    yield;
  }
  if (best) return { fit: best.fit, silhouette: best.silhouette, tried, distinct };
  // No k in the range gives every cluster its share (or the range is above the distinct
  // points): the largest k below the range that does.
  const below = yield* fitKMeansMinShareSteps({
    points: input.points,
    k: Math.max(1, Math.min(input.kMin - 1, distinct)),
    seed: input.seed,
    minShare,
    ...restarts,
  });
  for (const shortfall of below.refused) {
    tried.push({ k: shortfall.k, silhouette: null, inertia: shortfall.inertia, shortfall });
  }
  const { fit } = below;
  const silhouette = silhouetteOfFit(input.silhouettePoints, fit.centroids);
  tried.push({ k: fit.centroids.length, silhouette, inertia: fit.inertia });
  return { fit, silhouette, tried, distinct };
}

/**
 * Fits k = kMin…kMax and keeps the k with the highest mean silhouette width of
 * `silhouettePoints` (labelled by their nearest centroid) among the fits whose every cluster
 * holds at least `minShare` of the points; ties go to the smaller k. k never exceeds the
 * number of distinct points; when no k of the range qualifies, the largest k below it that
 * does is taken (down to 1), and `tried` shows why.
 */
export function chooseK(input: ChooseKOptions): ChosenK {
  return drain(chooseKSteps(input));
}
