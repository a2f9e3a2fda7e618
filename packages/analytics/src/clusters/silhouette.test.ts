import { describe, expect, it } from 'vitest';
import { meanSilhouette } from './silhouette.js';

describe('meanSilhouette', () => {
  it('matches a hand computation on points on a line', () => {
    // Cluster 0: 0 and 1; cluster 1: 4 and 6.
    const points = [[0], [1], [4], [6]];
    const labels = [0, 0, 1, 1];
    // s(0): a = 1, b = (4 + 6) / 2 = 5 → 0.8; s(1): a = 1, b = (3 + 5) / 2 = 4 → 0.75;
    // s(4): a = 2, b = (4 + 3) / 2 = 3.5 → 1.5 / 3.5; s(6): a = 2, b = (6 + 5) / 2 = 5.5 → 3.5 / 5.5.
    const expected = (0.8 + 0.75 + 1.5 / 3.5 + 3.5 / 5.5) / 4;
    expect(meanSilhouette(points, labels)).toBeCloseTo(expected, 12);
  });

  it('scores well-separated blobs near 1 and a bad split of one blob low', () => {
    const blob = (x: number, y: number) =>
      Array.from({ length: 20 }, (_, i) => [x + 0.01 * (i % 5), y + 0.01 * Math.floor(i / 5)]);
    const points = [...blob(0, 0), ...blob(10, 10)];
    const good = points.map((_, i) => (i < 20 ? 0 : 1));
    expect(meanSilhouette(points, good)).toBeGreaterThan(0.99);
    const bad = points.map((_, i) => i % 2);
    expect(meanSilhouette(points, bad)).toBeLessThan(0.05);
  });

  it('scores a point alone in its cluster 0 and is undefined for a single cluster', () => {
    const points = [[0], [1], [10]];
    // s(0): a = 1, b = 10 → 0.9; s(1): a = 1, b = 9 → 8/9; s(10) = 0 (alone).
    expect(meanSilhouette(points, [0, 0, 1])).toBeCloseTo((0.9 + 8 / 9) / 3, 12);
    expect(meanSilhouette(points, [0, 0, 0])).toBeNaN();
  });
});
