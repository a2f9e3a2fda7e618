import { describe, expect, it } from 'vitest';
import { chooseK } from './choose-k.js';

/** Tight blobs of `size` points around each centre, deterministic. */
function blobs(centres: number[][], size: number): number[][] {
  let state = 11;
  const noise = () => ((state = (state * 48271) % 2147483647) / 2147483647 - 0.5) * 0.6;
  return centres.flatMap(([x = 0, y = 0]) =>
    Array.from({ length: size }, () => [x + noise(), y + noise()]),
  );
}

const THREE = [
  [0, 0],
  [10, 0],
  [0, 10],
];

describe('chooseK', () => {
  it('picks the planted number of clusters by silhouette', () => {
    const points = blobs(THREE, 30);
    const chosen = chooseK({ points, silhouettePoints: points, kMin: 2, kMax: 6, seed: 1 });
    expect(chosen.fit.centroids).toHaveLength(3);
    expect(chosen.tried.map((t) => t.k)).toEqual([2, 3, 4, 5, 6]);
    const best = Math.max(...chosen.tried.map((t) => t.silhouette ?? -1));
    expect(chosen.silhouette).toBe(best);
    expect(chosen.tried.find((t) => t.k === 3)?.silhouette).toBe(best);
    expect(best).toBeGreaterThan(0.9);
  });

  it('never tries more clusters than there are distinct points', () => {
    const points = [[0], [0], [5], [5], [9]];
    const chosen = chooseK({ points, silhouettePoints: points, kMin: 2, kMax: 8, seed: 1 });
    expect(chosen.tried.map((t) => t.k)).toEqual([2, 3]);
    expect(chosen.fit.centroids).toHaveLength(3);
    expect(chosen.distinct).toBe(3);
  });

  it('passes over a k that makes a cluster below the minimum share, and says so', () => {
    // Three blobs of 30 and two points far away: their own cluster is the best silhouette
    // at k = 4, but holds 2 of 92 points (2.2 %).
    const points = [...blobs(THREE, 30), [40, 40], [40.2, 40.1]];
    const free = chooseK({ points, silhouettePoints: points, kMin: 2, kMax: 5, seed: 1 });
    expect(free.fit.sizes).toContain(2);
    const chosen = chooseK({
      points,
      silhouettePoints: points,
      kMin: 2,
      kMax: 5,
      seed: 1,
      minShare: 0.05,
    });
    expect(Math.min(...chosen.fit.sizes) / points.length).toBeGreaterThanOrEqual(0.05);
    const refused = chosen.tried.filter((t) => t.shortfall);
    expect(refused.map((t) => t.k)).toContain(4);
    expect(refused.find((t) => t.k === 4)?.shortfall).toMatchObject({
      k: 4,
      clusters: 4,
      smallestShare: 2 / 92,
    });
  });

  it('goes below kMin when no k of the range gives every cluster its share', () => {
    // 60 points at one place and one far away: any two clusters leave one of 1/61.
    const points = [...Array.from({ length: 60 }, (_, i) => [i % 3]), [100]];
    const chosen = chooseK({
      points,
      silhouettePoints: points,
      kMin: 2,
      kMax: 2,
      seed: 1,
      minShare: 0.05,
    });
    expect(chosen.fit.centroids).toHaveLength(1);
    expect(chosen.tried.map((t) => [t.k, t.shortfall?.smallestShare])).toEqual([
      [2, 1 / 61],
      [1, undefined],
    ]);
  });

  it('makes one cluster of points that are all the same', () => {
    const points = Array.from({ length: 10 }, () => [1, 1]);
    const chosen = chooseK({ points, silhouettePoints: points, kMin: 2, kMax: 8, seed: 1 });
    expect(chosen.distinct).toBe(1);
    expect(chosen.fit.centroids).toEqual([[1, 1]]);
    expect(chosen.fit.sizes).toEqual([10]);
    expect(chosen.silhouette).toBeNull();
  });
});
