import { modelVectorSql, naturalVectorSql } from './cluster-features.js';

/** The profiles of a run's features partition, with their natural feature values. */
const PROFILES = `
    SELECT profile_key, ${naturalVectorSql()} AS natural
    FROM profile_features
    WHERE run_id = {runId:String}`;

/**
 * A fixed hashed sample of the profiles' model values (transformed, not standardized): the
 * same profiles for the same seed, whatever the row order in storage.
 */
export function sampleSql(): string {
  return `
SELECT ${modelVectorSql('natural')} AS x
FROM (${PROFILES})
ORDER BY cityHash64(profile_key, {seed:UInt64}), profile_key
LIMIT {limit:UInt32}`;
}

/**
 * Every profile with its standardized values, distances to each centroid and the index
 * (1-based) of the nearest one; ties go to the first. Each value is clipped to its feature's
 * winsorizing bounds before it is standardized, as the fitted sample was. Parameters: runId;
 * lows, highs, means and sds (Array(Float64), model units); centroids
 * (Array(Array(Float64)), standardized).
 */
function nearestSql(): string {
  return `
SELECT profile_key, natural, z, distances, indexOf(distances, arrayMin(distances)) AS nearest
FROM
(
    SELECT profile_key, natural,
        arrayMap((v, l, h, m, s) -> (least(greatest(v, l), h) - m) / s, ${modelVectorSql('natural')},
                 {lows:Array(Float64)}, {highs:Array(Float64)},
                 {means:Array(Float64)}, {sds:Array(Float64)}) AS z,
        arrayMap(c -> L2Distance(z, c), {centroids:Array(Array(Float64))}) AS distances
    FROM (${PROFILES})
)`;
}

/** Writes every profile's cluster (ids: Array(UInt32), the id of each centroid). */
export function assignSql(): string {
  return `
INSERT INTO cluster_assignments (run_id, profile_key, cluster, distance)
SELECT {runId:String}, profile_key, {ids:Array(UInt32)}[nearest], distances[nearest]
FROM (${nearestSql()})`;
}

/**
 * Size and mean feature values (natural and standardized) of each centroid's members. The
 * nearest centroid is computed as assignSql does, from the same parameters, so the groups
 * are exactly the stored assignments without joining them back.
 */
export function clusterStatsSql(): string {
  return `
SELECT nearest, count() AS size, avgForEach(natural) AS means, avgForEach(z) AS z
FROM (${nearestSql()})
GROUP BY nearest
ORDER BY nearest`;
}

/** Centroids of a run made with the same feature list (features: Array(String)). */
export const PREVIOUS_CENTROIDS_SQL = `
SELECT cluster, position
FROM cluster_centroids
WHERE run_id = {runId:String} AND features = {features:Array(String)}
ORDER BY cluster`;

/** The largest cluster id any run has used (0 when none has). */
export const LARGEST_ID_SQL = `SELECT max(cluster) AS largest FROM cluster_centroids`;
