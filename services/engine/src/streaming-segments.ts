import type { ChangeSink } from '@rapport/bus';
import type { Config } from '@rapport/config';
import type { ReadinessCheck } from '@rapport/http';
import type { Logger, Metrics } from '@rapport/observability';
import { StreamingSegments } from '@rapport/segments';
import type { Store } from '@rapport/store';

/**
 * Streaming segment evaluation where committed batches are known, when RAPPORT_STREAMING_SEGMENTS
 * is on: its changes go to the same sinks as the segments job's, and its trouble shows on
 * /readyz without taking the process out of service (ingest never waits for it).
 */
export function openStreamingSegments(options: {
  config: Pick<Config, 'segments' | 'profiles'>;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  sinks: () => readonly ChangeSink[];
}): { evaluator: StreamingSegments; readiness: ReadinessCheck } | undefined {
  const { config, store, logger, metrics } = options;
  if (!config.segments.streaming) return undefined;
  const evaluator = new StreamingSegments({
    store,
    lapsedAfterDays: config.profiles.lapsedAfterDays,
    logger: logger.child({ component: 'streaming-segments' }),
    metrics,
    record: async (changes) => {
      for (const sink of options.sinks()) await sink.publish(changes);
    },
  });
  const readiness: ReadinessCheck = {
    name: 'segments-stream',
    critical: false,
    check: () => {
      const { failing, lastError, pendingKeys } = evaluator.status();
      if (lastError === null && failing.length === 0) return Promise.resolve();
      const parts = [
        ...(lastError === null
          ? []
          : [`evaluation failing (${pendingKeys} keys waiting): ${lastError}`]),
        ...failing.map(
          (f) => `segment ${f.segmentId} failing for ${f.profiles} profiles: ${f.reason}`,
        ),
      ];
      return Promise.reject(new Error(`retrying; ${parts.join('; ')}`));
    },
  };
  return { evaluator, readiness };
}
