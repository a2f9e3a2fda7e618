import { mean, standardDeviation } from 'simple-statistics';

/** The per-feature mean and standard deviation points are standardized with. */
export interface FeatureScale {
  means: number[];
  sds: number[];
}

/**
 * Mean and population standard deviation of each column of `rows`. A constant column gets
 * sd 1 rather than 0: it then standardizes to 0 for every row that shares the constant,
 * and still measures distance for rows (outside the sample) that do not.
 */
export function featureScale(rows: readonly (readonly number[])[]): FeatureScale {
  const first = rows[0];
  if (!first) throw new Error('cannot scale features of no rows');
  const columns = first.map((_, j) => rows.map((row) => row[j] ?? 0));
  const sds = columns.map((column) => standardDeviation(column));
  return {
    means: columns.map((column) => mean(column)),
    sds: sds.map((sd) => (sd > 0 && Number.isFinite(sd) ? sd : 1)),
  };
}

/** (x − mean) / sd, feature by feature. */
export function standardize(point: readonly number[], scale: FeatureScale): number[] {
  return point.map((value, j) => (value - (scale.means[j] ?? 0)) / (scale.sds[j] ?? 1));
}

/** The inverse of standardize: back to feature units. */
export function unstandardize(point: readonly number[], scale: FeatureScale): number[] {
  return point.map((value, j) => value * (scale.sds[j] ?? 1) + (scale.means[j] ?? 0));
}
