export { RunStore, type LatestRun } from './run-store.js';
export { LatestRuns } from './latest-runs.js';
export { summaryOf, RunSummaryError } from './run-summary.js';
