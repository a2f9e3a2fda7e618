import { describe, expect, it } from 'vitest';
import { matchCentroids, minCostAssignment } from './match-centroids.js';

function bruteForce(cost: number[][]): number {
  const cols = cost[0]?.length ?? 0;
  let best = Infinity;
  const walk = (row: number, used: Set<number>, total: number) => {
    if (row === cost.length) {
      best = Math.min(best, total);
      return;
    }
    for (let j = 0; j < cols; j++) {
      if (used.has(j)) continue;
      used.add(j);
      walk(row + 1, used, total + (cost[row]?.[j] ?? 0));
      used.delete(j);
    }
  };
  walk(0, new Set(), 0);
  return best;
}

describe('minCostAssignment', () => {
  it('finds the cheapest pairing where the greedy choice is wrong', () => {
    // Greedy takes (0,0) = 1 and is then forced into (1,1) = 100; the best is 2 + 3.
    expect(
      minCostAssignment([
        [1, 2],
        [3, 100],
      ]),
    ).toEqual([1, 0]);
  });

  it('agrees with exhaustive search on random square matrices', () => {
    let state = 7;
    const random = () => ((state = (state * 48271) % 2147483647) / 2147483647) * 10;
    for (let trial = 0; trial < 30; trial++) {
      const n = 2 + (trial % 5);
      const cost = Array.from({ length: n }, () => Array.from({ length: n }, random));
      const answer = minCostAssignment(cost);
      expect(new Set(answer).size).toBe(n);
      const total = answer.reduce((sum, col, row) => sum + (cost[row]?.[col] ?? NaN), 0);
      expect(total).toBeCloseTo(bruteForce(cost), 9);
    }
  });

  it('handles more rows than columns, leaving the costliest rows out', () => {
    expect(minCostAssignment([[5], [1], [3]])).toEqual([-1, 0, -1]);
    expect(minCostAssignment([[5, 1, 3]])).toEqual([1]);
  });
});

describe('matchCentroids', () => {
  const previous = [
    { id: 1, centroid: [0, 0] },
    { id: 2, centroid: [5, 5] },
    { id: 4, centroid: [-5, 5] },
  ];

  it('maps permuted, slightly moved centroids back to their ids', () => {
    const current = [
      [-4.9, 5.1],
      [0.1, -0.1],
      [5.2, 4.9],
    ];
    expect(matchCentroids({ previous, current, nextId: 5 })).toEqual({
      ids: [4, 1, 2],
      matched: 3,
    });
  });

  it('gives new centroids fresh ids above the largest used and drops vanished ones', () => {
    const grown = [
      [5, 5],
      [20, 20],
      [0, 0],
      [-5, 5],
    ];
    expect(matchCentroids({ previous, current: grown, nextId: 5 }).ids).toEqual([2, 5, 1, 4]);
    const shrunk = [
      [-5, 4],
      [4, 4],
    ];
    expect(matchCentroids({ previous, current: shrunk, nextId: 5 }).ids).toEqual([4, 2]);
  });

  it('numbers every centroid afresh without a previous run', () => {
    expect(matchCentroids({ previous: [], current: [[0], [1]], nextId: 1 })).toEqual({
      ids: [1, 2],
      matched: 0,
    });
  });
});
