import { describe, expect, it } from 'vitest';
import { describeClusters } from './describe-clusters.js';

const features = [
  { name: 'recency_days', high: 'long inactive', low: 'recent' },
  { name: 'orders', high: 'many orders', low: 'few orders' },
  { name: 'net_revenue', high: 'high net revenue', low: 'low net revenue' },
  { name: 'visits', high: 'many visits', low: 'few visits' },
];
const populationMeans = [100, 2, 80, 4];

describe('describeClusters', () => {
  it('names the features furthest from the mean, strongest first, with both means', () => {
    const [buyers] = describeClusters({
      features,
      populationMeans,
      clusters: [{ id: 3, z: [-0.9, 2.1, 1.7, 0.2], means: [12, 11.5, 950.123456, 5] }],
    });
    expect(buyers?.label).toBe('many orders, high net revenue, recent');
    expect(buyers?.traits).toEqual([
      { feature: 'orders', direction: 'high', z: 2.1, mean: 11.5, populationMean: 2 },
      { feature: 'net_revenue', direction: 'high', z: 1.7, mean: 950.1, populationMean: 80 },
      { feature: 'recency_days', direction: 'low', z: -0.9, mean: 12, populationMean: 100 },
    ]);
  });

  it('falls back to weaker traits, and calls a cluster without any close to average', () => {
    const [majority, plain] = describeClusters({
      features,
      populationMeans,
      clusters: [
        { id: 1, z: [0.1, -0.3, -0.45, 0.2], means: [90, 0.5, 10, 4] },
        { id: 2, z: [0.1, -0.2, 0.24, 0.2], means: [90, 2, 85, 5] },
      ],
    });
    expect(majority?.label).toBe('low net revenue, few orders');
    expect(majority?.traits.map((trait) => trait.feature)).toEqual(['net_revenue', 'orders']);
    expect(plain).toEqual({ id: 2, label: 'close to average', traits: [] });
  });

  it('keeps labels distinct: longer labels first, then the id', () => {
    const described = describeClusters({
      features,
      populationMeans,
      top: 1,
      clusters: [
        { id: 1, z: [0, 2, 0, 0], means: [0, 0, 0, 0] },
        { id: 2, z: [0, 1.5, 1, 0], means: [0, 0, 0, 0] },
        { id: 3, z: [0, 0, 0, 0], means: [0, 0, 0, 0] },
        { id: 4, z: [0.1, 0, 0, 0], means: [0, 0, 0, 0] },
      ],
    });
    expect(described.map((cluster) => cluster.label)).toEqual([
      'many orders',
      'many orders, high net revenue',
      'close to average (cluster 3)',
      'close to average (cluster 4)',
    ]);
  });

  it('says a feature no member has in its own words ("no orders", not "few orders")', () => {
    const [visitors, light] = describeClusters({
      features: [
        { name: 'orders', high: 'many orders', low: 'few orders', none: 'no orders' },
        {
          name: 'category_breadth',
          high: 'buys across categories',
          low: 'narrow buyer',
          none: 'no purchases',
        },
      ],
      populationMeans: [1.2, 0.8],
      clusters: [
        { id: 1, z: [-0.9, -0.8], means: [0, 0] },
        { id: 2, z: [-0.6, -0.7], means: [0.4, 0.3] },
      ],
    });
    expect(visitors?.label).toBe('no orders, no purchases');
    expect(light?.label).toBe('narrow buyer, few orders');
  });
});
