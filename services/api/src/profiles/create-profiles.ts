import type { Config } from '@rapport/config';
import type { Metrics } from '@rapport/observability';
import type { Store } from '@rapport/store';
import { LatestRuns } from '../reports/latest-runs.js';
import { SegmentDirectory } from '../segments/segment-directory.js';
import { ProfileCache } from './profile-cache.js';
import { ProfileService } from './profile-service.js';

/** The profile read path of a process: cache, latest job runs and the service over them. */
export function createProfiles(options: {
  store: Store;
  config: Pick<Config, 'ingest' | 'profiles'>;
  metrics: Metrics;
  /** Memory for the cache; 0 where nothing in the process keeps it exact. */
  cacheBytes: number;
}) {
  const { store, config } = options;
  const cache = new ProfileCache({ maxBytes: options.cacheBytes, metrics: options.metrics });
  const latest = new LatestRuns(store);
  const profiles = new ProfileService({
    store,
    cache,
    latest,
    segments: new SegmentDirectory(store),
    currency: config.ingest.reportingCurrency,
    rules: { lapsedAfterDays: config.profiles.lapsedAfterDays },
  });
  return { cache, latest, profiles };
}
