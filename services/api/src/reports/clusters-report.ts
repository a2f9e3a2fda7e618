import { HttpError } from '@rapport/http';
import type { ClustersReport, ClusterTrait, ProfileCluster } from '@rapport/schemas';
import type { Store } from '@rapport/store';
import type { LatestRuns } from './latest-runs.js';

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

/** A profile's cluster in the latest clusters run, for the profile. */
export async function readProfileCluster(
  store: Store,
  latest: LatestRuns,
  profileKey: string,
): Promise<ProfileCluster | null> {
  const run = await latest.get('clusters');
  if (!run) return null;
  const [row] = await store.query<{ cluster: number; label: string }>(
    `SELECT a.cluster AS cluster, c.label AS label
     FROM (SELECT cluster FROM cluster_assignments
           WHERE run_id = {runId:String} AND profile_key = {profileKey:String}) AS a
     LEFT JOIN (SELECT cluster, label FROM cluster_centroids WHERE run_id = {runId:String}) AS c
         ON c.cluster = a.cluster`,
    { runId: run.runId, profileKey },
  );
  if (!row) return null;
  return {
    runId: run.runId,
    cluster: Number(row.cluster),
    label: row.label,
    computedAt: new Date(run.finishedAt).toISOString(),
  };
}

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
  const [run] = await store.query<{
    job: string;
    status: string;
    finished_at: number | null;
    summary: string;
  }>(
    `SELECT job, status, toUnixTimestamp64Milli(finished_at) AS finished_at, summary
     FROM job_runs FINAL WHERE run_id = {runId:String}`,
    { runId },
  );
  if (!run || run.job !== 'clusters') throw new HttpError(404, `no clusters run ${runId}`);
  if (run.status !== 'succeeded') {
    throw new HttpError(409, `clusters run ${runId} is ${run.status}`);
  }
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
  const summary = parseJson<Record<string, unknown>>(run.summary, {});
  const profiles = centroids.reduce((sum, row) => sum + Number(row.size), 0);
  const chosenBy = summary.kChosenBy;
  return {
    runId,
    computedAt: run.finished_at === null ? null : new Date(Number(run.finished_at)).toISOString(),
    profiles,
    k: centroids.length,
    kChosenBy: chosenBy === 'param' || chosenBy === 'config' ? chosenBy : 'silhouette',
    silhouette: typeof summary.silhouette === 'number' ? decimals(summary.silhouette, 4) : null,
    inertia: decimals(Number(summary.inertia ?? 0), 2),
    tried: (Array.isArray(summary.tried) ? (summary.tried as ClustersReport['tried']) : []).map(
      (t) => ({
        k: Number(t.k),
        silhouette: t.silhouette === null ? null : decimals(Number(t.silhouette), 4),
        inertia: decimals(Number(t.inertia), 2),
      }),
    ),
    sample: (summary.sample ?? {}) as Record<string, unknown>,
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
