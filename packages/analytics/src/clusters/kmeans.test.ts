import { describe, expect, it } from 'vitest';
import { fitKMeans } from './kmeans.js';

/** Three tight blobs around (0,0), (10,0) and (0,10), 30 points each, deterministic. */
function blobs(): number[][] {
  let state = 11;
  const noise = () => ((state = (state * 48271) % 2147483647) / 2147483647 - 0.5) * 0.6;
  return [
    [0, 0],
    [10, 0],
    [0, 10],
  ].flatMap(([x = 0, y = 0]) => Array.from({ length: 30 }, () => [x + noise(), y + noise()]));
}

describe('fitKMeans', () => {
  it('finds planted blobs, the same way for the same seed', () => {
    const points = blobs();
    const fit = fitKMeans({ points, k: 3, seed: 1, restarts: 3 });
    expect(fit.sizes.sort()).toEqual([30, 30, 30]);
    for (let blob = 0; blob < 3; blob++) {
      const labels = new Set(fit.labels.slice(blob * 30, blob * 30 + 30));
      expect(labels.size).toBe(1);
    }
    expect(fitKMeans({ points, k: 3, seed: 1, restarts: 3 })).toEqual(fit);
    // Inertia: within-blob spread only (uniform noise of width 0.6 → variance 0.03 per axis).
    expect(fit.inertia).toBeLessThan(90 * 2 * 0.05);
  });

  it('refuses more clusters than distinct points', () => {
    expect(() => fitKMeans({ points: [[1], [1], [2]], k: 3, seed: 1 })).toThrow(
      /3 clusters to 2 distinct points/,
    );
  });
});
