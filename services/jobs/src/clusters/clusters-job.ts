import {
  chooseKSteps,
  describeClusters,
  featureScale,
  fitKMeansMinShareSteps,
  matchCentroids,
  shortfallInWords,
  silhouetteOfFit,
  standardize,
  unstandardize,
  winsorBounds,
  winsorize,
  type FeatureScale,
  type KMeansFit,
  type KTried,
  type Shortfall,
  type WinsorBounds,
} from '@rapport/analytics';
import { lapsedMs } from '@rapport/profiles';
import { takeFeaturesSnapshot } from '../features-snapshot.js';
import type { Store } from '@rapport/store';
import { defineJob, type JobContext, type JobDefinition } from '../job.js';
import { RunStore } from '@rapport/runs';
import { dropPartitionsExcept } from '../partitions.js';
import { CLUSTER_FEATURES, FEATURE_NAMES, toNaturalUnits } from './cluster-features.js';
import { clustersParams, type ClustersParams } from './clusters-params.js';
import {
  assignSql,
  clusterStatsSql,
  LARGEST_ID_SQL,
  PREVIOUS_CENTROIDS_SQL,
  sampleSql,
} from './clusters-sql.js';

/** The features query needs a lapse threshold; the lifecycle it feeds is not a feature here. */
const LAPSED_AFTER_DAYS = 90;

export interface ClustersJobOptions {
  /** k when a run does not give one (RAPPORT_CLUSTERS_K); unset, k is chosen by silhouette. */
  defaultK?: number;
}

type KChosenBy = 'param' | 'config' | 'silhouette';

interface Fitted {
  bounds: WinsorBounds;
  scale: FeatureScale;
  fit: KMeansFit;
  chosenBy: KChosenBy;
  silhouette: number | null;
  tried: KTried[];
  /** Why fewer clusters came out than asked for, when they did. */
  warnings: string[];
}

/**
 * Runs fitting steps, letting the event loop run between them: the engine keeps serving
 * requests and consuming events while a run fits (seconds at the default sample size).
 */
async function runSteps<T>(steps: Generator<void, T, void>): Promise<T> {
  let next = steps.next();
  while (!next.done) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    next = steps.next();
  }
  return next.value;
}

/** "asked for 6 clusters, made 4: …" with why, or nothing when as many came out as asked. */
function fewerWarning(input: {
  asked: number;
  askedInWords: string;
  made: number;
  distinct: number;
  refused: readonly Shortfall[];
  minShare: number;
}): string[] {
  if (input.made >= input.asked) return [];
  const reasons = [
    ...(input.distinct < input.asked
      ? [`the sample has only ${input.distinct} distinct profile${input.distinct === 1 ? '' : 's'}`]
      : []),
    ...input.refused.map((shortfall) => shortfallInWords(shortfall, input.minShare)),
  ];
  return [
    `asked for ${input.askedInWords}, made ${input.made}` +
      (reasons.length > 0 ? `: ${reasons.join('; ')}` : ''),
  ];
}

async function fitSample(
  sample: number[][],
  params: ClustersParams,
  defaultK: number | undefined,
): Promise<Fitted> {
  // Winsorized first, so that a few extreme profiles neither take a cluster of their own nor
  // drag a centroid or the scale; they are still assigned to the cluster they are nearest to.
  const bounds = winsorBounds(sample, params.winsorize);
  const clipped = sample.map((row) => winsorize(row, bounds));
  const scale = featureScale(clipped);
  const points = clipped.map((row) => standardize(row, scale));
  // The sample is in hash order, so its head is itself a fixed random sample.
  const silhouettePoints = points.slice(0, params.silhouetteSample);
  const k = params.k ?? defaultK;
  const { seed, restarts, minClusterShare: minShare } = params;
  if (k === undefined) {
    const chosen = await runSteps(
      chooseKSteps({
        points,
        silhouettePoints,
        kMin: params.kMin,
        kMax: params.kMax,
        seed,
        restarts,
        minShare,
      }),
    );
    const warnings = fewerWarning({
      asked: params.kMin,
      askedInWords: `${params.kMin} to ${params.kMax} clusters`,
      made: chosen.fit.centroids.length,
      distinct: chosen.distinct,
      refused: chosen.tried.flatMap((t) => (t.shortfall ? [t.shortfall] : [])),
      minShare,
    });
    return { bounds, scale, ...chosen, chosenBy: 'silhouette', warnings };
  }
  const sized = await runSteps(fitKMeansMinShareSteps({ points, k, seed, restarts, minShare }));
  const { fit } = sized;
  const silhouette = silhouetteOfFit(silhouettePoints, fit.centroids);
  return {
    bounds,
    scale,
    fit,
    silhouette,
    tried: [
      ...sized.refused.map((shortfall) => ({
        k: shortfall.k,
        silhouette: null,
        inertia: shortfall.inertia,
        shortfall,
      })),
      { k: fit.centroids.length, silhouette, inertia: fit.inertia },
    ],
    chosenBy: params.k === undefined ? 'config' : 'param',
    warnings: fewerWarning({
      asked: k,
      askedInWords: `${k} clusters`,
      made: fit.centroids.length,
      distinct: sized.distinct,
      refused: sized.refused,
      minShare,
    }),
  };
}

/**
 * Ids for the fitted centroids: those of the previous successful run (same feature list)
 * they lie nearest to, compared in this run's standardized space; fresh ids above the
 * largest ever used for the rest.
 */
async function stableIds(store: Store, fitted: Fitted) {
  const previousRun = (await new RunStore(store).latestSucceeded('clusters'))?.runId ?? '';
  const previous =
    previousRun === ''
      ? []
      : await store.query<{ cluster: number; position: number[] }>(PREVIOUS_CENTROIDS_SQL, {
          runId: previousRun,
          features: FEATURE_NAMES,
        });
  const [largest] = await store.query<{ largest: number }>(LARGEST_ID_SQL);
  const { ids, matched } = matchCentroids({
    previous: previous.map((row) => ({
      id: Number(row.cluster),
      centroid: standardize(row.position.map(Number), fitted.scale),
    })),
    current: fitted.fit.centroids,
    nextId: Number(largest?.largest ?? 0) + 1,
  });
  return { ids, matched, previousRun: previous.length > 0 ? previousRun : null };
}

interface StatsRow {
  nearest: number;
  size: number;
  means: number[];
  z: number[];
}

/** Sizes, member means and descriptions of the clusters; stored with the centroids. */
async function describeRun(
  context: JobContext,
  input: { fitted: Fitted; ids: number[]; computedAt: number; bound: Record<string, unknown> },
) {
  const { store, runId } = context;
  const { fitted, ids } = input;
  const rows = await store.query<StatsRow>(clusterStatsSql(), input.bound);
  const stats = fitted.fit.centroids.map((centroid, index) => {
    const row = rows.find((r) => Number(r.nearest) === index + 1);
    const position = unstandardize(centroid, fitted.scale);
    return {
      id: ids[index] ?? 0,
      centroid,
      position,
      size: Number(row?.size ?? 0),
      // A centroid nobody is nearest to (only possible on exact ties) is described by itself.
      means: row ? row.means.map(Number) : toNaturalUnits(position),
      z: row ? row.z.map(Number) : centroid,
    };
  });
  const profiles = stats.reduce((sum, s) => sum + s.size, 0);
  const populationMeans = FEATURE_NAMES.map(
    (_, j) => stats.reduce((sum, s) => sum + s.size * (s.means[j] ?? 0), 0) / Math.max(1, profiles),
  );
  const descriptions = describeClusters({
    features: CLUSTER_FEATURES,
    clusters: stats,
    populationMeans,
  });
  const centroidRows = stats.map((s, i) => ({
    run_id: runId,
    cluster: s.id,
    computed_at: input.computedAt,
    features: FEATURE_NAMES,
    size: s.size,
    centroid: s.centroid,
    position: s.position,
    means: s.means,
    z: s.z,
    label: descriptions[i]?.label ?? '',
    description: JSON.stringify(descriptions[i]?.traits ?? []),
  }));
  const featureRows = CLUSTER_FEATURES.map((feature, j) => ({
    run_id: runId,
    position: j,
    feature: feature.name,
    transform: feature.transform,
    mean: fitted.scale.means[j] ?? 0,
    sd: fitted.scale.sds[j] ?? 1,
    population_mean: populationMeans[j] ?? 0,
  }));
  for (const [table, lines] of [
    ['cluster_centroids', centroidRows],
    ['cluster_features', featureRows],
  ] as const) {
    await store.insertJsonLines(table, Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n')));
  }
  context.wrote(centroidRows.length + featureRows.length);
  return stats
    .map((s, i) => ({ id: s.id, label: descriptions[i]?.label ?? '', size: s.size }))
    .sort((a, b) => a.id - b.id);
}

/** Each feature's winsorizing bounds in its natural units, by name. */
function naturalBounds(bounds: WinsorBounds): Record<string, [number, number]> {
  const lows = toNaturalUnits(bounds.lows);
  const highs = toNaturalUnits(bounds.highs);
  return Object.fromEntries(FEATURE_NAMES.map((name, j) => [name, [lows[j] ?? 0, highs[j] ?? 0]]));
}

/**
 * Clusters of the whole population below the minimum share (the fit checks the sample's), or
 * that no profile ended up nearest to.
 */
function assignedWarnings(
  clusters: readonly { id: number; size: number }[],
  profiles: number,
  params: ClustersParams,
): string[] {
  return clusters.flatMap((cluster) => {
    const share = cluster.size / Math.max(1, profiles);
    if (cluster.size > 0 && share >= params.minClusterShare) return [];
    return [
      `cluster ${cluster.id} holds ${cluster.size} of ${profiles} profiles (${Number((share * 100).toPrecision(2))} %), ` +
        `under the minimum of ${params.minClusterShare * 100} %`,
    ];
  });
}

/**
 * Groups every profile by behaviour: k-means over standardized features (recency, orders,
 * net revenue, visits, searches, email open and click rates, category breadth), fitted on a
 * hashed sample, with every profile assigned to its nearest centroid inside ClickHouse.
 * Cluster ids carry over from the previous run by matching centroids.
 */
export function createClustersJob(options: ClustersJobOptions = {}): JobDefinition {
  return defineJob({
    name: 'clusters',
    description:
      'k-means clusters of every profile over behavioural features, k by silhouette unless given; stable ids across runs',
    params: clustersParams,
    phases: ['features', 'sample', 'fit', 'match', 'assign', 'describe'],
    async run(context, params: ClustersParams) {
      const { store, runId, logger } = context;
      const computedAt = Date.now();
      try {
        // Features of behaviour only: earlier results (its own clusters included) stay out.
        const features = await context.phase('features', () =>
          takeFeaturesSnapshot(store, {
            runId,
            now: computedAt,
            lapsedMs: lapsedMs(LAPSED_AFTER_DAYS),
            rfmRun: '',
            clvRun: '',
            clustersRun: '',
          }),
        );
        const { profiles } = features;
        if (profiles < 2) throw new Error(`${profiles} profiles: nothing to cluster`);

        const sample = await context.phase('sample', async () => {
          const rows = await store.query<{ x: number[] }>(sampleSql(), {
            runId,
            seed: params.seed,
            limit: params.sampleSize,
          });
          return rows.map((row) => row.x.map(Number));
        });

        const fitted = await context.phase('fit', () =>
          fitSample(sample, params, options.defaultK),
        );
        const matching = await context.phase('match', () => stableIds(store, fitted));

        const bound = {
          runId,
          lows: fitted.bounds.lows,
          highs: fitted.bounds.highs,
          means: fitted.scale.means,
          sds: fitted.scale.sds,
          centroids: fitted.fit.centroids,
          ids: matching.ids,
        };
        await context.phase('assign', () => store.command(assignSql(), bound));
        context.wrote(profiles);

        const clusters = await context.phase('describe', () =>
          describeRun(context, { fitted, ids: matching.ids, computedAt, bound }),
        );
        // Profiles read the previous run's assignments until this run is recorded.
        await dropPartitionsExcept(store, {
          table: 'cluster_assignments',
          keep: [runId, (await new RunStore(store).latestSucceeded('clusters'))?.runId ?? ''],
        });

        return {
          profiles,
          // Profiles whose fields were computed; the others were copied from that run's snapshot.
          snapshot: { computed: features.computed, copiedFrom: features.copiedFrom },
          features: FEATURE_NAMES,
          sample: {
            profiles: sample.length,
            silhouetteProfiles: Math.min(sample.length, params.silhouetteSample),
            seed: params.seed,
            restarts: params.restarts,
          },
          minClusterShare: params.minClusterShare,
          winsorize: params.winsorize,
          winsorBounds: naturalBounds(fitted.bounds),
          k: fitted.fit.centroids.length,
          kChosenBy: fitted.chosenBy,
          silhouette: fitted.silhouette,
          tried: fitted.tried,
          inertia: fitted.fit.inertia,
          iterations: fitted.fit.iterations,
          converged: fitted.fit.converged,
          previousRun: matching.previousRun,
          matched: matching.matched,
          clusters,
          warnings: [...fitted.warnings, ...assignedWarnings(clusters, profiles, params)],
        };
      } finally {
        // The features snapshot is working data of this run only.
        await dropPartitionsExcept(store, {
          table: 'profile_features',
          keep: [],
          among: [runId],
        }).catch((error: unknown) =>
          logger.warn({ err: error }, 'could not drop the features partition'),
        );
      }
    },
  });
}
