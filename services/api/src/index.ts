export { apiPlugin, type ApiPluginOptions } from './plugin.js';
export { ProfileCache, ProfileService, type ProfileServiceDeps } from './profiles/index.js';
export { LatestRuns } from './reports/latest-runs.js';
export { SegmentDirectory } from './segments/segment-directory.js';
export { readClustersReport, readProfileCluster } from './reports/clusters-report.js';
export { createProfiles } from './profiles/create-profiles.js';
