export {
  defineJob,
  JobRunningError,
  UnknownJobError,
  JobParamsError,
  type JobDefinition,
  type JobContext,
  type RunRecord,
  type RunStatus,
  type RunTrigger,
} from './job.js';
export { JobRunner, type JobRunnerDeps, type StartedRun } from './job-runner.js';
export { Scheduler, type Schedules } from './scheduler.js';
export { rfmJob } from './rfm/rfm-job.js';
export { clvJob, clvParams, type ClvParams } from './clv/clv-job.js';
export { RFM_SEGMENTS, rfmSegment } from './rfm/rfm-segments.js';
export { jobsPlugin, type JobsPluginOptions } from './plugin.js';
export { createSegmentsJob, type SegmentsJobOptions } from './segments/segments-job.js';
export { createClustersJob, type ClustersJobOptions } from './clusters/clusters-job.js';
export { clustersParams, type ClustersParams } from './clusters/clusters-params.js';
export type { NotifyChanges } from './segments/evaluate-segment.js';
export type { Reconcile } from './segments/reconcile.js';
export { SavedSegmentRuns, type SavedSegmentRunsOptions } from './segments/saved-segment-runs.js';
