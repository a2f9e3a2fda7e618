import type { Config } from '@rapport/config';
import type { Logger, Metrics } from '@rapport/observability';
import { ProfileCache, ProfileRows, ProfileService, type RowMirror } from '@rapport/profiles';
import { LatestRuns, RunStore } from '@rapport/runs';
import { SegmentDirectory } from '@rapport/segments';
import type { Store } from '@rapport/store';

/**
 * The profile read path of a process: cache, latest job runs, the stored profile rows and the
 * service over them.
 */
export function createProfiles(options: {
  store: Store;
  config: Pick<Config, 'ingest' | 'profiles'>;
  metrics: Metrics;
  logger?: Logger;
  /** Memory for the cache; 0 where nothing in the process keeps it exact. */
  cacheBytes: number;
  /** A local copy of the rows, where the process writes every event of its store. */
  mirror?: RowMirror;
}) {
  const { store, config, metrics, logger } = options;
  const cache = new ProfileCache({ maxBytes: options.cacheBytes, metrics });
  const latest = new LatestRuns(store);
  const segments = new SegmentDirectory(store);
  const rows = new ProfileRows(store, {
    latest,
    metrics,
    ...(logger ? { logger } : {}),
    ...(options.mirror
      ? { mirror: options.mirror, membershipsOf: (keys) => segments.openMemberships(keys) }
      : {}),
  });
  const profiles = new ProfileService({
    store,
    cache,
    latest,
    rows,
    runs: new RunStore(store),
    segments,
    currency: config.ingest.reportingCurrency,
    lifecycle: { lapsedAfterDays: config.profiles.lapsedAfterDays },
  });
  return { cache, latest, rows, profiles };
}
