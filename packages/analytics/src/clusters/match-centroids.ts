import { euclidean } from './silhouette.js';

/**
 * The assignment of rows to columns with the least total cost (Hungarian method with
 * potentials, O(n²m)); rectangular matrices are fine. Returns, for each row, its column, or
 * -1 for rows left over when there are more rows than columns.
 */
export function minCostAssignment(cost: readonly (readonly number[])[]): number[] {
  const rows = cost.length;
  const cols = cost[0]?.length ?? 0;
  if (rows === 0) return [];
  if (rows > cols) {
    // Solve the transpose (the method needs rows ≤ columns) and turn the answer round.
    const transposed = Array.from({ length: cols }, (_, j) => cost.map((row) => row[j] ?? 0));
    const byColumn = minCostAssignment(transposed);
    const byRow = new Array<number>(rows).fill(-1);
    byColumn.forEach((row, col) => {
      if (row >= 0) byRow[row] = col;
    });
    return byRow;
  }
  // 1-based arrays: u, v potentials; p[j] the row matched to column j; way[j] the previous column.
  const u = new Array<number>(rows + 1).fill(0);
  const v = new Array<number>(cols + 1).fill(0);
  const p = new Array<number>(cols + 1).fill(0);
  const way = new Array<number>(cols + 1).fill(0);
  for (let i = 1; i <= rows; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array<number>(cols + 1).fill(Infinity);
    const used = new Array<boolean>(cols + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0] ?? 0;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= cols; j++) {
        if (used[j]) continue;
        const reduced = (cost[i0 - 1]?.[j - 1] ?? 0) - (u[i0] ?? 0) - (v[j] ?? 0);
        if (reduced < (minv[j] ?? Infinity)) {
          minv[j] = reduced;
          way[j] = j0;
        }
        if ((minv[j] ?? Infinity) < delta) {
          delta = minv[j] ?? Infinity;
          j1 = j;
        }
      }
      for (let j = 0; j <= cols; j++) {
        if (used[j]) {
          u[p[j] ?? 0] = (u[p[j] ?? 0] ?? 0) + delta;
          v[j] = (v[j] ?? 0) - delta;
        } else {
          minv[j] = (minv[j] ?? Infinity) - delta;
        }
      }
      j0 = j1;
    } while ((p[j0] ?? 0) !== 0);
    do {
      const j1 = way[j0] ?? 0;
      p[j0] = p[j1] ?? 0;
      j0 = j1;
    } while (j0 !== 0);
  }
  const answer = new Array<number>(rows).fill(-1);
  for (let j = 1; j <= cols; j++) {
    const row = p[j] ?? 0;
    if (row > 0) answer[row - 1] = j - 1;
  }
  return answer;
}

export interface PreviousCentroid {
  id: number;
  /** In the same (standardized) space as the current centroids. */
  centroid: readonly number[];
}

/**
 * Ids for this run's centroids that carry on from the previous run's: the pairing with the
 * least total Euclidean distance keeps the previous ids; centroids left without a partner
 * (k grew) get fresh ids from `nextId` up, in order.
 */
export function matchCentroids(input: {
  previous: readonly PreviousCentroid[];
  current: readonly (readonly number[])[];
  nextId: number;
}): { ids: number[]; matched: number } {
  const { previous, current } = input;
  const pairing =
    previous.length === 0
      ? current.map(() => -1)
      : minCostAssignment(current.map((c) => previous.map((p) => euclidean(c, p.centroid))));
  let nextId = input.nextId;
  const ids = pairing.map((col) => (col >= 0 ? (previous[col]?.id ?? nextId++) : nextId++));
  return { ids, matched: pairing.filter((col) => col >= 0).length };
}
