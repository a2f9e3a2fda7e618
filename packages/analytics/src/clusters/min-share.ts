import {
  distinctPoints,
  drain,
  fitKMeansSteps,
  type FitOptions,
  type KMeansFit,
} from './kmeans.js';

/** A fit turned down for a cluster below the minimum share, or a centroid left empty. */
export interface Shortfall {
  k: number;
  /** Clusters with at least one point (k minus the centroids left empty). */
  clusters: number;
  /** The smallest cluster's share of the points (0 when a centroid was left empty). */
  smallestShare: number;
  /** The fit's inertia (sum of squared distances to the centroids). */
  inertia: number;
}

/** The smallest cluster's share of `points` points; 0 if a centroid was left empty. */
export function smallestShare(fit: KMeansFit, k: number, points: number): number {
  if (fit.centroids.length < k || points === 0) return 0;
  return Math.min(...fit.sizes) / points;
}

/** The shortfall of a fit of k clusters, or undefined when every cluster has its share. */
export function shortfallOf(
  fit: KMeansFit,
  k: number,
  points: number,
  minShare: number,
): Shortfall | undefined {
  const share = smallestShare(fit, k, points);
  if (fit.centroids.length === k && share >= minShare) return undefined;
  return { k, clusters: fit.centroids.length, smallestShare: share, inertia: fit.inertia };
}

/** Why a fit was turned down, in words. */
export function shortfallInWords(shortfall: Shortfall, minShare: number): string {
  const { k, clusters, smallestShare: share } = shortfall;
  if (clusters < k) {
    return `k = ${k} left ${k - clusters} centroid${k - clusters === 1 ? '' : 's'} with no profile`;
  }
  return `k = ${k} made a cluster of ${percent(share)} of the sample, under the minimum of ${percent(minShare)}`;
}

function percent(share: number): string {
  return `${Number((share * 100).toPrecision(2))} %`;
}

export interface MinShareOptions extends FitOptions {
  /** The least share of the points a cluster may have (0 to 1). */
  minShare: number;
}

export interface MinShareFit {
  fit: KMeansFit;
  /** The k asked for. */
  asked: number;
  /** Distinct points: no more clusters than that can be made. */
  distinct: number;
  /** The fits turned down on the way, largest k first. */
  refused: Shortfall[];
}

/**
 * k-means with k clusters if every one holds at least `minShare` of the points, else with
 * the largest k below it where they all do (down to one cluster). No more clusters than
 * distinct points are tried. A centroid left empty counts as a cluster below the share, so
 * a fit never quietly comes out with fewer clusters than it says.
 */
export function* fitKMeansMinShareSteps(
  input: MinShareOptions,
): Generator<void, MinShareFit, void> {
  const distinct = distinctPoints(input.points);
  const refused: Shortfall[] = [];
  for (let k = Math.min(input.k, distinct); k >= 1; k--) {
    const fit = yield* fitKMeansSteps({ ...input, k });
    const shortfall = shortfallOf(fit, k, input.points.length, input.minShare);
    if (shortfall === undefined || k === 1) {
      return { fit, asked: input.k, distinct, refused };
    }
    refused.push(shortfall);
  }
  throw new Error('cannot fit clusters to no points');
}

/** fitKMeansMinShareSteps run to the end at once. */
export function fitKMeansMinShare(input: MinShareOptions): MinShareFit {
  return drain(fitKMeansMinShareSteps(input));
}
