import type { ChangeSink } from '@rapport/bus';
import type { Config } from '@rapport/config';
import {
  clvJob,
  createClustersJob,
  createSegmentsJob,
  rfmJob,
  type JobDefinition,
} from '@rapport/jobs';

/**
 * Every job the engine can run. Segment entries and exits go to each sink in turn, a page at
 * a time, so each sink sees them in order.
 */
export function createJobs(options: {
  config: Pick<Config, 'profiles' | 'jobs'>;
  sinks: readonly ChangeSink[];
}): JobDefinition[] {
  const { config, sinks } = options;
  return [
    rfmJob,
    clvJob,
    createSegmentsJob({
      lapsedAfterDays: config.profiles.lapsedAfterDays,
      notify: async (changes) => {
        for (const sink of sinks) await sink.publish(changes);
      },
    }),
    createClustersJob(
      config.jobs.clustersK === undefined ? {} : { defaultK: config.jobs.clustersK },
    ),
  ];
}
