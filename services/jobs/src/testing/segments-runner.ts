import type { Logger } from '@rapport/observability';
import type { Store } from '@rapport/store';
import { JobRunner } from '../job-runner.js';
import { createSegmentsJob, type SegmentsJobOptions } from '../segments/segments-job.js';

/**
 * A runner of the segments job alone on `store`, its options those given over the defaults of
 * the tests: 90 days to lapse, changes published nowhere.
 */
export function segmentsRunner(
  store: Store,
  logger: Logger,
  options: Partial<SegmentsJobOptions> = {},
): JobRunner {
  return new JobRunner({
    store,
    logger,
    jobs: [createSegmentsJob({ lapsedAfterDays: 90, notify: async () => {}, ...options })],
  });
}
