export { featureScale, standardize, unstandardize, type FeatureScale } from './standardize.js';
export { euclidean, meanSilhouette } from './silhouette.js';
export {
  distinctPoints,
  fitKMeans,
  fitKMeansSteps,
  nearestCentroid,
  silhouetteOfFit,
  type FitOptions,
  type KMeansFit,
} from './kmeans.js';
export {
  chooseK,
  chooseKSteps,
  type ChooseKOptions,
  type ChosenK,
  type KTried,
} from './choose-k.js';
export {
  fitKMeansMinShare,
  fitKMeansMinShareSteps,
  shortfallInWords,
  type MinShareFit,
  type MinShareOptions,
  type Shortfall,
} from './min-share.js';
export { winsorBounds, winsorize, type WinsorBounds } from './winsorize.js';
export { matchCentroids, minCostAssignment, type PreviousCentroid } from './match-centroids.js';
export {
  describeClusters,
  type ClusterDescription,
  type ClusterProfile,
  type ClusterTrait,
  type FeatureWords,
} from './describe-clusters.js';
