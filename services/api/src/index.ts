export { apiPlugin, type ApiPluginOptions } from './plugin.js';
export { readClustersReport } from './reports/clusters-report.js';
export { createProfiles } from './profiles/create-profiles.js';
