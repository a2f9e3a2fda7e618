import type { ChangeSink } from '@rapport/bus';
import type { Config } from '@rapport/config';
import {
  clvJob,
  createClustersJob,
  createSegmentsJob,
  rfmJob,
  type JobDefinition,
  type Reconcile,
} from '@rapport/jobs';
import type { Metrics } from '@rapport/observability';
import { cancellable, onLane, type Store } from '@rapport/store';

/**
 * Every job the engine can run. Segment entries and exits go to each sink in turn, a page at
 * a time, so each sink sees them in order.
 */
export function createJobs(options: {
  config: Pick<Config, 'profiles' | 'jobs'>;
  sinks: readonly ChangeSink[];
  /** Streaming segment evaluation, when on: the segments job is then its reconciler. */
  reconcile?: Reconcile | undefined;
  metrics?: Metrics | undefined;
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
      ...(options.reconcile ? { reconcile: options.reconcile } : {}),
      metrics: options.metrics,
    }),
    createClustersJob(
      config.jobs.clustersK === undefined ? {} : { defaultK: config.jobs.clustersK },
    ),
  ];
}

/**
 * Where job runs put their statements (JobRunnerDeps' `store`, `cancel` and `records`): on a
 * connection of their own (`jobs`: statements of seconds at scale hold up neither the event
 * writer nor look-ups), marked so that a stop cancels them, the mark put on the store itself
 * so that the cancel goes on another connection than theirs; runs are recorded on the same
 * connection, unmarked, so that a cancelled run's end is recorded. A server takes every lane
 * alike.
 */
export function jobRunStores(store: Store) {
  const statements = cancellable(store, 'rapport:job-run');
  return {
    store: onLane(statements, 'jobs'),
    cancel: () => statements.cancel(),
    records: onLane(store, 'jobs'),
  };
}
