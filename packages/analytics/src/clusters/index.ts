export { featureScale, standardize, unstandardize, type FeatureScale } from './standardize.js';
export { euclidean, meanSilhouette } from './silhouette.js';
export {
  chooseK,
  chooseKSteps,
  distinctPoints,
  fitKMeans,
  fitKMeansSteps,
  nearestCentroid,
  silhouetteOfFit,
  type ChooseKOptions,
  type ChosenK,
  type FitOptions,
  type KMeansFit,
  type KTried,
} from './kmeans.js';
export { matchCentroids, minCostAssignment, type PreviousCentroid } from './match-centroids.js';
export {
  describeClusters,
  type ClusterDescription,
  type ClusterProfile,
  type ClusterTrait,
  type FeatureWords,
} from './describe-clusters.js';
