import { clvJob, rfmJob, type JobDefinition } from '@rapport/jobs';

/** Every job the engine can run, by name. */
export const ALL_JOBS: readonly JobDefinition[] = [rfmJob, clvJob];
