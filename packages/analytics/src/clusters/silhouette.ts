/** Euclidean distance between two points of the same dimension. */
export function euclidean(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) {
    const d = (a[j] ?? 0) - (b[j] ?? 0);
    sum += d * d;
  }
  return Math.sqrt(sum);
}

/**
 * Mean silhouette width (Rousseeuw, 1987) with Euclidean distance: for each point, a is its
 * mean distance to the other members of its cluster, b the smallest mean distance to the
 * members of another cluster, and s = (b − a) / max(a, b). A point alone in its cluster
 * scores 0, as in scikit-learn. NaN when the labels name fewer than two clusters, where the
 * width is not defined. Costs n² distances: run it on a sample.
 */
export function meanSilhouette(points: readonly (readonly number[])[], labels: readonly number[]) {
  const n = points.length;
  if (labels.length !== n) throw new Error('need one label per point');
  const clusters = Math.max(-1, ...labels) + 1;
  const counts = new Array<number>(clusters).fill(0);
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  if (counts.filter((count) => count > 0).length < 2) return NaN;
  // sums[i * clusters + c]: total distance from point i to the members of cluster c.
  const sums = new Float64Array(n * clusters);
  for (let i = 0; i < n; i++) {
    const p = points[i] ?? [];
    const li = labels[i] ?? 0;
    for (let j = i + 1; j < n; j++) {
      const d = euclidean(p, points[j] ?? []);
      sums[i * clusters + (labels[j] ?? 0)]! += d;
      sums[j * clusters + li]! += d;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const own = labels[i] ?? 0;
    const size = counts[own] ?? 0;
    if (size <= 1) continue;
    const a = (sums[i * clusters + own] ?? 0) / (size - 1);
    let b = Infinity;
    for (let c = 0; c < clusters; c++) {
      const count = counts[c] ?? 0;
      if (c === own || count === 0) continue;
      b = Math.min(b, (sums[i * clusters + c] ?? 0) / count);
    }
    const spread = Math.max(a, b);
    total += spread > 0 ? (b - a) / spread : 0;
  }
  return total / n;
}
