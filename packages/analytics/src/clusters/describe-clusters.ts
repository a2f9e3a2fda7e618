/** How a feature reads in a cluster label, e.g. `{ high: 'many orders', low: 'few orders' }`. */
export interface FeatureWords {
  name: string;
  high: string;
  low: string;
  /**
   * Said instead of `low` when no member has any (the members' mean is 0), e.g. 'no orders':
   * visitors who never bought are not "few orders".
   */
  none?: string;
}

/** A feature that sets a cluster apart. */
export interface ClusterTrait {
  feature: string;
  direction: 'high' | 'low';
  /** The members' mean standardized value: how many standard deviations from the mean. */
  z: number;
  /** The members' mean, in the feature's natural units. */
  mean: number;
  /** Everybody's mean, in the same units. */
  populationMean: number;
}

export interface ClusterProfile {
  id: number;
  /** Mean standardized value of each feature over the members. */
  z: readonly number[];
  /** Mean of each feature in natural units over the members. */
  means: readonly number[];
}

export interface ClusterDescription {
  id: number;
  label: string;
  traits: ClusterTrait[];
}

const round = (value: number, digits: number) => Number(value.toPrecision(digits));

/**
 * Describes each cluster by the features whose standardized mean is furthest from 0 (at
 * least `threshold`, default 0.5 standard deviations), strongest first, and labels it with
 * the words of the first `top` (default 3), e.g. "many orders, high net revenue, recent".
 * A cluster with no such feature (typically a large majority, which the mean sits close to)
 * is described by its features at least `weakThreshold` (default 0.25) from 0 instead, and
 * is "close to average" if it has none. Two clusters with the same label have it lengthened
 * by their further traits, and if that does not tell them apart, by id.
 */
export function describeClusters(input: {
  features: readonly FeatureWords[];
  clusters: readonly ClusterProfile[];
  populationMeans: readonly number[];
  top?: number;
  threshold?: number;
  weakThreshold?: number;
}): ClusterDescription[] {
  const top = input.top ?? 3;
  const threshold = input.threshold ?? 0.5;
  const weakThreshold = input.weakThreshold ?? 0.25;
  const described = input.clusters.map((cluster) => {
    const all = input.features
      .map((feature, j): ClusterTrait => {
        const z = cluster.z[j] ?? 0;
        return {
          feature: feature.name,
          direction: z >= 0 ? 'high' : 'low',
          z: round(z, 3),
          mean: round(cluster.means[j] ?? 0, 4),
          populationMean: round(input.populationMeans[j] ?? 0, 4),
        };
      })
      .sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.feature.localeCompare(b.feature));
    const strong = all.filter((trait) => Math.abs(trait.z) >= threshold);
    const traits =
      strong.length > 0 ? strong : all.filter((trait) => Math.abs(trait.z) >= weakThreshold);
    const words = traits.map((trait) => {
      const feature = input.features.find((f) => f.name === trait.feature);
      if (trait.direction === 'high') return feature?.high ?? trait.feature;
      const none = trait.mean === 0 ? feature?.none : undefined;
      return none ?? feature?.low ?? trait.feature;
    });
    return { id: cluster.id, traits, words };
  });
  const labelOf = (words: string[], length: number) =>
    words.length === 0 ? 'close to average' : words.slice(0, length).join(', ');
  const labels = described.map((cluster) => labelOf(cluster.words, top));
  // Tell clusters with the same label apart: longer labels first, then the id. Each pass
  // decides which labels clash before changing any.
  const clashing = () =>
    new Set(
      labels.flatMap((label, i) =>
        labels.indexOf(label) !== labels.lastIndexOf(label) ? [i] : [],
      ),
    );
  for (const i of clashing()) {
    const words = described[i]?.words ?? [];
    labels[i] = labelOf(words, words.length);
  }
  for (const i of clashing()) labels[i] = `${labels[i]} (cluster ${described[i]?.id})`;
  return described.map((cluster, i) => ({
    id: cluster.id,
    label: labels[i] ?? '',
    traits: cluster.traits.slice(0, Math.max(top, 5)),
  }));
}
