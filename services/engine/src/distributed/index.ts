export { createIngestService } from './ingest-service.js';
export { createPipelineService } from './pipeline-service.js';
export { createApiService } from './api-service.js';
export { runService } from './run-service.js';
export type { Service } from './service.js';
export { createJobsService } from './jobs-service.js';
