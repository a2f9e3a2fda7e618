export { ReportParamsError, resolveRange, type ReportRange } from './report-range.js';
export { readOverviewReport, type OverviewReportInput } from './overview-report.js';
export { readLifecycleReport, type LifecycleReportInput } from './lifecycle-report.js';
export { readChannelsReport, VISIT_TYPES, type ChannelsReportInput } from './channels-report.js';
export { readCampaignsReport, type CampaignsReportInput } from './campaigns-report.js';
export {
  readCohortsReport,
  type CohortGranularity,
  type CohortsReportInput,
} from './cohorts-report.js';
