import { describe, expect, it } from 'vitest';
import { fitKMeans } from './kmeans.js';
import { fitKMeansMinShare, shortfallInWords } from './min-share.js';
import { winsorBounds, winsorize } from './winsorize.js';

/** Three tight blobs of 30 points around (0,0), (10,0) and (0,10), deterministic. */
function blobs(): number[][] {
  let state = 7;
  const noise = () => ((state = (state * 48271) % 2147483647) / 2147483647 - 0.5) * 0.6;
  return [
    [0, 0],
    [10, 0],
    [0, 10],
  ].flatMap(([x = 0, y = 0]) => Array.from({ length: 30 }, () => [x + noise(), y + noise()]));
}

const sorted = (centroids: number[][]) =>
  [...centroids].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0));

describe('an extreme outlier', () => {
  const ordinary = blobs();
  const points = [...ordinary, [1000, 1000]];

  it('takes a cluster of its own from plain k-means', () => {
    const fit = fitKMeans({ points, k: 3, seed: 1, restarts: 3 });
    expect(fit.sizes).toContain(1);
  });

  it('once winsorized, joins the nearest blob and moves no centroid', () => {
    const bounds = winsorBounds(points, 0.02);
    const clipped = points.map((point) => winsorize(point, bounds));
    // Clipped to the heaviest ordinary values, not beyond them.
    expect(clipped.at(-1)?.[0]).toBeLessThan(11);
    expect(clipped.at(-1)?.[1]).toBeLessThan(11);
    const fit = fitKMeansMinShare({ points: clipped, k: 3, seed: 1, restarts: 3, minShare: 0.01 });
    expect(fit.refused).toEqual([]);
    expect([...fit.fit.sizes].sort()).toEqual([30, 30, 31]);
    const without = fitKMeans({ points: ordinary, k: 3, seed: 1, restarts: 3 });
    const a = sorted(fit.fit.centroids);
    const b = sorted(without.centroids);
    a.forEach((centroid, i) => {
      centroid.forEach((value, j) =>
        expect(Math.abs(value - (b[i]?.[j] ?? NaN))).toBeLessThan(0.4),
      );
    });
  });
});

describe('fitKMeansMinShare', () => {
  it('reduces k until every cluster holds its share, and says why', () => {
    // 200 points in one blob and one far away: k = 2 leaves a cluster of 1/201 < 1 %.
    const points = [...Array.from({ length: 200 }, (_, i) => [i % 7, i % 5]), [500, 500]];
    const fit = fitKMeansMinShare({ points, k: 2, seed: 1, minShare: 0.01 });
    expect(fit.fit.centroids).toHaveLength(1);
    expect(fit.asked).toBe(2);
    expect(fit.refused).toMatchObject([{ k: 2, clusters: 2, smallestShare: 1 / 201 }]);
    expect(shortfallInWords(fit.refused[0]!, 0.01)).toBe(
      'k = 2 made a cluster of 0.5 % of the sample, under the minimum of 1 %',
    );
  });

  it('makes no more clusters than distinct points', () => {
    const points = [[1], [1], [1], [2], [2], [2]];
    const fit = fitKMeansMinShare({ points, k: 5, seed: 1, minShare: 0.01 });
    expect(fit.distinct).toBe(2);
    expect(fit.fit.centroids).toHaveLength(2);
    expect(fit.fit.sizes).toEqual([3, 3]);
  });

  it('keeps k when every cluster holds its share', () => {
    const fit = fitKMeansMinShare({ points: blobs(), k: 3, seed: 1, minShare: 0.3 });
    expect(fit.fit.centroids).toHaveLength(3);
    expect(fit.refused).toEqual([]);
  });

  it('names a centroid left empty', () => {
    expect(shortfallInWords({ k: 4, clusters: 3, smallestShare: 0, inertia: 1 }, 0.01)).toBe(
      'k = 4 left 1 centroid with no profile',
    );
  });
});

describe('winsorBounds', () => {
  it('clips each feature at its tail quantiles and leaves the rest', () => {
    const rows = Array.from({ length: 101 }, (_, i) => [i, 1000 - i]);
    const bounds = winsorBounds(rows, 0.05);
    expect(bounds).toEqual({ lows: [5, 905], highs: [95, 995] });
    expect(winsorize([200, 3], bounds)).toEqual([95, 905]);
    expect(winsorize([50, 950], bounds)).toEqual([50, 950]);
    expect(winsorBounds(rows, 0)).toEqual({ lows: [0, 900], highs: [100, 1000] });
    expect(() => winsorBounds([], 0.01)).toThrow(/no rows/);
  });
});
