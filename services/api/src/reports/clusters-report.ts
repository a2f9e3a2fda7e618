import { HttpError } from '@rapport/http';
import { summaryOf, type LatestRuns } from '@rapport/runs';
import { clustersSummarySchema, type ClustersReport, type ClusterTrait } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import { succeededRun } from './succeeded-run.js';

interface CentroidRow {
  cluster: number;
  size: number;
  features: string[];
  means: number[];
  label: string;
  description: string;
}

interface FeatureRow {
  feature: string;
  transform: string;
  mean: number;
  sd: number;
  population_mean: number;
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** To `digits` significant digits: figures for people, not for further computation. */
const round = (value: number, digits = 4) => Number(Number(value).toPrecision(digits));
const decimals = (value: number, places: number) => Math.round(value * 10 ** places) / 10 ** places;

/** The clusters of one run: how k was chosen, the features, and each cluster described. */
export async function readClustersReport(
  store: Store,
  latest: LatestRuns,
  options: { runId?: string },
): Promise<ClustersReport> {
  const runId = options.runId ?? (await latest.get('clusters'))?.runId;
  if (runId === undefined) {
    throw new HttpError(404, 'no successful clusters run yet; start one first');
  }
  const run = await succeededRun(store, { job: 'clusters', runId });
  const summary = summaryOf(run, clustersSummarySchema);
  const [centroids, features] = await Promise.all([
    store.query<CentroidRow>(
      `SELECT cluster, size, features, means, label, description
       FROM cluster_centroids WHERE run_id = {runId:String} ORDER BY cluster`,
      { runId },
    ),
    store.query<FeatureRow>(
      `SELECT feature, transform, mean, sd, population_mean
       FROM cluster_features WHERE run_id = {runId:String} ORDER BY position`,
      { runId },
    ),
  ]);
  const profiles = centroids.reduce((sum, row) => sum + Number(row.size), 0);
  return {
    runId,
    computedAt: run.finishedAt,
    profiles,
    k: centroids.length,
    kChosenBy: summary.kChosenBy,
    silhouette: summary.silhouette === null ? null : decimals(summary.silhouette, 4),
    inertia: decimals(summary.inertia, 2),
    minClusterShare: summary.minClusterShare ?? null,
    tried: summary.tried.map((t) => ({
      k: t.k,
      silhouette: t.silhouette === null ? null : decimals(t.silhouette, 4),
      inertia: decimals(t.inertia, 2),
      ...(t.shortfall && {
        shortfall: {
          clusters: t.shortfall.clusters,
          smallestShare: decimals(t.shortfall.smallestShare, 4),
        },
      }),
    })),
    warnings: summary.warnings ?? [],
    sample: summary.sample,
    features: features.map((row) => ({
      name: row.feature,
      transform: row.transform === 'log1p' ? 'log1p' : 'none',
      mean: round(Number(row.mean), 6),
      sd: round(Number(row.sd), 6),
      populationMean: round(Number(row.population_mean)),
    })),
    clusters: centroids.map((row) => ({
      id: Number(row.cluster),
      label: row.label,
      size: Number(row.size),
      share: profiles > 0 ? decimals(Number(row.size) / profiles, 4) : 0,
      centroid: Object.fromEntries(
        row.features.map((name, j) => [name, round(Number(row.means[j] ?? 0))]),
      ),
      description: parseJson<ClusterTrait[]>(row.description, []),
    })),
  };
}
