import { quantileSorted } from 'simple-statistics';

/** Per feature, the range values are clipped to before they are standardized. */
export interface WinsorBounds {
  lows: number[];
  highs: number[];
}

/**
 * The `tail` and 1 − `tail` quantiles of each column of `rows`: winsorizing at them clips the
 * most extreme `tail` of values at each end to the last ordinary one. A single extreme
 * profile then lies where the heaviest ordinary ones do, so it neither seeds a cluster of its
 * own nor drags a centroid, and it still belongs to the cluster it is nearest to. With
 * `tail` 0 the bounds are the columns' minimum and maximum (nothing clipped in the sample).
 */
export function winsorBounds(rows: readonly (readonly number[])[], tail: number): WinsorBounds {
  const first = rows[0];
  if (!first) throw new Error('cannot winsorize features of no rows');
  if (!(tail >= 0 && tail < 0.5)) throw new Error(`tail must be in [0, 0.5), got ${tail}`);
  const lows: number[] = [];
  const highs: number[] = [];
  first.forEach((_, j) => {
    const column = rows.map((row) => row[j] ?? 0).sort((a, b) => a - b);
    lows.push(quantileSorted(column, tail));
    highs.push(quantileSorted(column, 1 - tail));
  });
  return { lows, highs };
}

/** `point` with each value clipped to its feature's bounds. */
export function winsorize(point: readonly number[], bounds: WinsorBounds): number[] {
  return point.map((value, j) =>
    Math.min(Math.max(value, bounds.lows[j] ?? -Infinity), bounds.highs[j] ?? Infinity),
  );
}
