import type { Config } from '@rapport/config';
import type { Metrics } from '@rapport/observability';
import { ProfileCache, ProfileService } from '@rapport/profiles';
import { LatestRuns, RunStore } from '@rapport/runs';
import { SegmentDirectory } from '@rapport/segments';
import type { Store } from '@rapport/store';

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
    runs: new RunStore(store),
    segments: new SegmentDirectory(store),
    currency: config.ingest.reportingCurrency,
    lifecycle: { lapsedAfterDays: config.profiles.lapsedAfterDays },
  });
  return { cache, latest, profiles };
}
