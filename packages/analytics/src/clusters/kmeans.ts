import { kmeans } from 'ml-kmeans';
import { euclidean, meanSilhouette } from './silhouette.js';

export interface KMeansFit {
  /** Clusters with at least one member, in the order k-means found them. */
  centroids: number[][];
  /** Index into centroids of each point's nearest centroid. */
  labels: number[];
  /** Members of each centroid among the fitted points. */
  sizes: number[];
  /** Sum of squared distances of the points to their centroid. */
  inertia: number;
  iterations: number;
  converged: boolean;
  /** The seed of the start (k-means++) that gave the lowest inertia. */
  seed: number;
  /** Centroids k-means left without a point, dropped: centroids.length = k − emptyDropped. */
  emptyDropped: number;
}

/** Index of the centroid nearest to `point` and the distance to it (first one on ties). */
export function nearestCentroid(
  point: readonly number[],
  centroids: readonly (readonly number[])[],
) {
  let index = 0;
  let distance = Infinity;
  centroids.forEach((centroid, i) => {
    const d = euclidean(point, centroid);
    if (d < distance) {
      index = i;
      distance = d;
    }
  });
  return { index, distance };
}

/** How many different points there are: k-means cannot place more centroids than that. */
export function distinctPoints(points: readonly (readonly number[])[]): number {
  return new Set(points.map((point) => point.join(','))).size;
}

function finish(points: readonly (readonly number[])[], centroids: number[][]) {
  // Labels and inertia against the final centroids (the library's labels are one step behind).
  let labels = points.map((point) => nearestCentroid(point, centroids).index);
  const counts = centroids.map((_, c) => labels.filter((label) => label === c).length);
  // A centroid that lost all its points is dropped: it describes nobody.
  const kept = centroids.flatMap((centroid, c) => ((counts[c] ?? 0) > 0 ? [centroid] : []));
  if (kept.length < centroids.length) {
    labels = points.map((point) => nearestCentroid(point, kept).index);
  }
  const sizes = kept.map((_, c) => labels.filter((label) => label === c).length);
  let inertia = 0;
  points.forEach((point, i) => {
    inertia += euclidean(point, kept[labels[i] ?? 0] ?? []) ** 2;
  });
  return { centroids: kept, labels, sizes, inertia, emptyDropped: centroids.length - kept.length };
}

/** Runs steps to the end at once. */
export function drain<T>(steps: Generator<void, T, void>): T {
  let next = steps.next();
  while (!next.done) next = steps.next();
  return next.value;
}

export interface FitOptions {
  points: readonly (readonly number[])[];
  k: number;
  seed: number;
  /** k-means++ starts (default 1). */
  restarts?: number;
  maxIterations?: number;
}

/**
 * fitKMeans one start at a time: yields after each, so that a caller can let other work run
 * in between (a start on 20,000 points takes a fraction of a second).
 */
export function* fitKMeansSteps(input: FitOptions): Generator<void, KMeansFit, void> {
  const { points, k, seed } = input;
  const distinct = distinctPoints(points);
  if (k < 1 || k > distinct) {
    throw new Error(`cannot fit ${k} clusters to ${distinct} distinct points`);
  }
  const data = points.map((point) => [...point]);
  let best: KMeansFit | undefined;
  for (let start = 0; start < (input.restarts ?? 1); start++) {
    const result = kmeans(data, k, {
      initialization: 'kmeans++',
      seed: seed + start,
      maxIterations: input.maxIterations ?? 300,
    });
    const fit = { ...finish(points, result.centroids), seed: seed + start };
    if (!best || fit.inertia < best.inertia) {
      best = { ...fit, iterations: result.iterations, converged: result.converged };
    }
    yield;
  }
  if (!best) throw new Error('restarts must be at least 1');
  return best;
}

/**
 * k-means (Lloyd) from k-means++ starts: `restarts` starts with seeds seed, seed + 1, …, and
 * the fit with the lowest inertia wins, so one unlucky start cannot decide the clusters.
 * Deterministic for the same points and seed.
 */
export function fitKMeans(input: FitOptions): KMeansFit {
  return drain(fitKMeansSteps(input));
}

/** Mean silhouette width of `points` labelled by their nearest centroid; null if undefined. */
export function silhouetteOfFit(
  points: readonly (readonly number[])[],
  centroids: readonly (readonly number[])[],
): number | null {
  const labels = points.map((point) => nearestCentroid(point, centroids).index);
  const width = meanSilhouette(points, labels);
  return Number.isNaN(width) ? null : width;
}
